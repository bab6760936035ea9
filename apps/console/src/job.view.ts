/** One job: its status, the uploaded video with the findings drawn over it, the analysed frames, a download. */
import { jobResults, jobStatus, request, problemOf, type FrameResult, type Job } from './api';
import { formatDuration, formatTime, h } from './dom';
import { drawFrame, frameAt } from './overlay';
import { POLL_MS } from './jobs.view';
import { workerReady, type View } from './view';

const MAX_FRAME_BUTTONS = 300;

export function jobView(root: HTMLElement, jobId: string): View {
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopDrawing = () => {};
  const head = h('section', { class: 'job-head', 'aria-live': 'polite' }, h('p', {}, 'Loading…'));
  const body = h('div', { class: 'job-body' });
  root.replaceChildren(h('p', {}, h('a', { href: '#/' }, '← Jobs')), head, body);

  async function load() {
    let job: Job;
    try {
      job = await jobStatus(jobId);
    } catch (err) {
      head.replaceChildren(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
      return;
    }
    if (closed) return;
    head.replaceChildren(summary(job));
    if (job.status === 'pending' || job.status === 'running') {
      timer = setTimeout(() => void load(), POLL_MS);
      return;
    }
    if (job.status === 'completed') {
      try {
        const { body: results, text } = await jobResults(jobId);
        if (closed) return;
        stopDrawing = await showResults(body, jobId, results.results, text);
      } catch (err) {
        body.replaceChildren(
          h('p', { class: 'error', role: 'alert' }, `Could not load the results: ${(err as Error).message}`),
        );
      }
    }
  }

  void load();
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      stopDrawing();
    },
  };
}

function summary(job: Job): HTMLElement {
  const end = job.status === 'pending' || job.status === 'running' ? Date.now() : Date.parse(job.updated_at);
  return h(
    'dl',
    { class: 'summary', id: 'job-summary', 'data-status': job.status },
    h('dt', {}, 'Job'),
    h('dd', {}, h('code', {}, job.job_id)),
    h('dt', {}, 'Status'),
    h('dd', {}, h('span', { class: `status ${job.status}` }, job.status)),
    job.pipeline_id ? h('dt', {}, 'Pipeline') : null,
    job.pipeline_id ? h('dd', {}, job.pipeline_id) : null,
    h('dt', {}, 'Created'),
    h('dd', {}, formatTime(job.created_at)),
    h('dt', {}, 'Duration'),
    h('dd', {}, formatDuration(end - Date.parse(job.created_at))),
    job.error_message ? h('dt', {}, 'Error') : null,
    job.error_message ? h('dd', { class: 'error' }, job.error_message) : null,
  );
}

async function showResults(body: HTMLElement, jobId: string, frames: FrameResult[], text: string): Promise<() => void> {
  const video = h('video', { id: 'player', controls: true, preload: 'metadata', playsinline: true, muted: true });
  const canvas = h('canvas', { id: 'overlay', 'aria-hidden': 'true' });
  const stage = h('div', { class: 'stage' }, video, canvas);
  const videoError = h('p', { class: 'error', role: 'alert', hidden: true });
  const download = h('button', { type: 'button', id: 'download', class: 'secondary' }, 'Download results JSON');
  download.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = h('a', { href: url, download: `${jobId}_results.json` });
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });

  const withFindings = frames.filter((f) => (f.result.detections?.length ?? 0) + (f.result.text?.length ?? 0) > 0);
  const listed = (withFindings.length ? withFindings : frames).slice(0, MAX_FRAME_BUTTONS);
  const strip = h(
    'ol',
    { class: 'frames', id: 'frames', 'aria-label': 'Analysed frames' },
    ...listed.map((f) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            'data-frame-index': f.frame_index,
            onclick: () => {
              video.pause();
              video.currentTime = f.result.timestamp_ms / 1000;
            },
          },
          frameLabel(f),
        ),
      ),
    ),
  );
  const note =
    withFindings.length > MAX_FRAME_BUTTONS || (!withFindings.length && frames.length > MAX_FRAME_BUTTONS)
      ? h('p', { class: 'hint' }, `The first ${MAX_FRAME_BUTTONS} frames are listed; seek in the player for the rest.`)
      : null;
  body.replaceChildren(
    stage,
    videoError,
    h('p', { class: 'hint' }, `${frames.length} frames analysed, ${withFindings.length} with findings. `, download),
    h('h2', {}, withFindings.length ? 'Frames with findings' : 'Analysed frames'),
    strip,
    ...(note ? [note] : []),
  );

  const ctx = canvas.getContext('2d')!;
  const redraw = () => {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(video.clientWidth * dpr);
    const hgt = Math.round(video.clientHeight * dpr);
    if (canvas.width !== w || canvas.height !== hgt) {
      canvas.width = w;
      canvas.height = hgt;
    }
    const frame = video.readyState >= 1 ? frameAt(frames, video.currentTime * 1000) : undefined;
    drawFrame(ctx, frame, { width: video.videoWidth, height: video.videoHeight }, dpr);
    canvas.dataset.frameIndex = frame ? String(frame.frame_index) : '';
    canvas.dataset.scale = video.videoWidth ? String(canvas.width / video.videoWidth) : '';
  };
  // While playing, redraw on each presented frame where the browser offers it, else on a timer.
  let playing = false;
  const tick = () => {
    if (!playing) return;
    redraw();
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback(tick);
    else requestAnimationFrame(tick);
  };
  for (const ev of ['loadedmetadata', 'loadeddata', 'seeked', 'timeupdate', 'pause'])
    video.addEventListener(ev, redraw);
  video.addEventListener('play', () => {
    playing = true;
    tick();
  });
  video.addEventListener('pause', () => (playing = false));
  video.addEventListener('error', () => void explainVideoError(jobId, videoError));
  const resize = new ResizeObserver(redraw);
  resize.observe(video);

  await workerReady;
  video.src = `/video/input/${encodeURIComponent(jobId)}`;
  return () => {
    playing = false;
    resize.disconnect();
    video.removeAttribute('src');
    video.load();
  };
}

function frameLabel(f: FrameResult): string {
  const counts = new Map<string, number>();
  for (const d of f.result.detections ?? []) counts.set(d.label, (counts.get(d.label) ?? 0) + 1);
  const parts = [...counts].map(([label, n]) => `${n} ${label}`);
  if (f.result.text?.length) parts.push(`${f.result.text.length} text`);
  return `#${f.frame_index} · ${(f.result.timestamp_ms / 1000).toFixed(2)} s${parts.length ? ` · ${parts.join(', ')}` : ''}`;
}

/** The media element says only "error"; ask the API for the problem detail (404: input expired). */
async function explainVideoError(jobId: string, out: HTMLElement) {
  let detail = 'the browser could not play this video';
  try {
    const res = await request(`/video/input/${encodeURIComponent(jobId)}`, { headers: { Range: 'bytes=0-0' } });
    if (!res.ok) detail = (await problemOf(res.status, await res.text())).message;
  } catch (err) {
    detail = (err as Error).message;
  }
  out.textContent = `The video cannot be shown: ${detail}. The results are still listed below.`;
  out.hidden = false;
}
