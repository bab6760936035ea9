/** The console's entry: the service worker, the key prompt and a two-page hash router. */
import { answerWorkerKeyRequests, wireKeyButton } from './key';
import { jobsView } from './jobs.view';
import { jobView } from './job.view';

import type { View } from './view';

let current: View | undefined;

function route() {
  const main = document.getElementById('main')!;
  current?.close();
  const m = /^#\/jobs\/([^/?#]+)/.exec(location.hash);
  current = m ? jobView(main, decodeURIComponent(m[1])) : jobsView(main);
  document.title = m ? `Job ${m[1].slice(0, 8)} · video-jobs` : 'Jobs · video-jobs';
}

function start() {
  answerWorkerKeyRequests();
  wireKeyButton();
  window.addEventListener('hashchange', route);
  route();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
