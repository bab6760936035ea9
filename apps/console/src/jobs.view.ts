/** The jobs page: the submit form and the caller's jobs, polled only while one is pending or running. */
import { jobStatus, listJobs, pipelineIds, submitJob, type Job } from './api';
import { formatDuration, formatTime, h } from './dom';
import type { View } from './view';

export const POLL_MS = 3000;
const active = (j: Job) => j.status === 'pending' || j.status === 'running';

export function jobsView(root: HTMLElement): View {
  let jobs: Job[] = [];
  let cursor: string | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const list = h('ul', { class: 'jobs', id: 'jobs', 'aria-live': 'polite' });
  const more = h(
    'button',
    { type: 'button', id: 'more', class: 'secondary', hidden: true, onclick: () => void loadMore() },
    'Older jobs',
  );
  const listError = h('p', { class: 'error', role: 'alert', hidden: true });
  root.replaceChildren(
    submitForm((job) => {
      jobs = [job, ...jobs.filter((j) => j.job_id !== job.job_id)];
      render();
    }),
    h('section', { 'aria-labelledby': 'jobs-title' }, h('h2', { id: 'jobs-title' }, 'Jobs'), listError, list, more),
  );

  function render() {
    list.replaceChildren(
      ...(jobs.length ? jobs.map(jobItem) : [h('li', { class: 'empty' }, 'No jobs yet: submit a video above.')]),
    );
    more.hidden = cursor === null;
    list.dataset.polling = String(timer !== undefined);
    schedule();
  }

  /** Polling runs while any job shown is pending or running, and stops when none is. */
  function schedule() {
    if (timer !== undefined || closed || !jobs.some(active)) {
      list.dataset.polling = String(timer !== undefined);
      return;
    }
    timer = setTimeout(() => {
      timer = undefined;
      void refresh();
    }, POLL_MS);
    list.dataset.polling = 'true';
  }

  async function refresh() {
    try {
      const first = await listJobs(null);
      const seen = new Set(first.jobs.map((j) => j.job_id));
      // Older pages already shown keep their place; their unfinished jobs are asked one by one.
      const older = await Promise.all(
        jobs.filter((j) => !seen.has(j.job_id)).map((j) => (active(j) ? jobStatus(j.job_id) : Promise.resolve(j))),
      );
      if (closed) return;
      jobs = [...first.jobs, ...older];
      if (older.length === 0) cursor = first.next_cursor;
      listError.hidden = true;
    } catch (err) {
      listError.textContent = `Could not load the jobs: ${(err as Error).message}`;
      listError.hidden = false;
    }
    render();
  }

  async function loadMore() {
    try {
      const page = await listJobs(cursor);
      const seen = new Set(jobs.map((j) => j.job_id));
      jobs = [...jobs, ...page.jobs.filter((j) => !seen.has(j.job_id))];
      cursor = page.next_cursor;
    } catch (err) {
      listError.textContent = `Could not load more jobs: ${(err as Error).message}`;
      listError.hidden = false;
    }
    render();
  }

  void refresh();
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

function jobItem(job: Job): HTMLLIElement {
  const end = active(job) ? Date.now() : Date.parse(job.updated_at);
  return h(
    'li',
    { class: `job ${job.status}`, 'data-job-id': job.job_id, 'data-status': job.status },
    h('a', { href: `#/jobs/${job.job_id}`, class: 'id', title: job.job_id }, job.job_id.slice(0, 8)),
    h('span', { class: `status ${job.status}` }, job.status),
    h('span', { class: 'pipeline' }, job.pipeline_id ?? ''),
    h('time', { class: 'created', datetime: job.created_at }, formatTime(job.created_at)),
    h(
      'span',
      { class: 'duration', title: 'from submit to the last change' },
      formatDuration(end - Date.parse(job.created_at)),
    ),
    job.error_message ? h('span', { class: 'error-message' }, job.error_message) : null,
  );
}

function submitForm(onSubmitted: (job: Job) => void): HTMLElement {
  const file = h('input', { type: 'file', id: 'file', name: 'file', accept: 'video/mp4,.mp4', required: true });
  const pipeline = h('select', { id: 'pipeline_id', name: 'pipeline_id' });
  const stride = h('input', { type: 'number', id: 'frame_stride', name: 'frame_stride', min: 1, step: 1, value: 1 });
  const maxFrames = h('input', {
    type: 'number',
    id: 'max_frames',
    name: 'max_frames',
    min: 1,
    step: 1,
    placeholder: 'all',
  });
  const progress = h('progress', { id: 'upload-progress', max: 1, value: 0, hidden: true });
  const message = h('p', { id: 'submit-message', role: 'status' });
  const button = h('button', { type: 'submit', id: 'submit' }, 'Submit');
  const drop = h('label', { class: 'drop', for: 'file' }, 'Drop an MP4 here, or choose one: ', file);

  void pipelineIds().then(({ ids, fallback }) => {
    pipeline.replaceChildren(...ids.map((id) => h('option', { value: id, selected: id === fallback }, id)));
  });

  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer?.files.length) file.files = e.dataTransfer.files;
  });

  const form = h(
    'form',
    { id: 'submit-form', class: 'submit', 'aria-labelledby': 'submit-title' },
    h('h2', { id: 'submit-title' }, 'Submit a video'),
    drop,
    h(
      'div',
      { class: 'fields' },
      h('label', {}, 'Pipeline ', pipeline),
      h('label', {}, 'Frame stride ', stride),
      h('label', {}, 'Max frames ', maxFrames),
      button,
    ),
    progress,
    message,
  );
  // The listener itself returns nothing; the upload runs on and reports through `message`.
  form.addEventListener('submit', (e) => void submit(e));
  async function submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    message.className = '';
    message.textContent = 'Uploading…';
    try {
      const id = await submitJob(
        chosen,
        { pipeline_id: pipeline.value, frame_stride: stride.value, max_frames: maxFrames.value },
        (f) => {
          progress.value = f;
          message.textContent = `Uploading… ${Math.round(f * 100)} %`;
        },
      );
      message.textContent = `Submitted: job ${id}`;
      form.reset();
      onSubmitted(await jobStatus(id));
    } catch (err) {
      message.className = 'error';
      message.textContent = `Not submitted: ${(err as Error).message}`;
    } finally {
      button.disabled = false;
      progress.hidden = true;
    }
  }
  return form;
}
