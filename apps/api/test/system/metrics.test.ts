import path from 'node:path';
import { makeTempDir, makeTestVideo } from '../../../../packages/pipeline/src/test-support';
import { startStack, type Stack, type StackProcess } from '../../../../tools/lib/stack';

jest.setTimeout(120_000);

let stack: Stack;
let worker: StackProcess;
let tmp: { dir: string; remove: () => Promise<void> };
let video: string;

beforeAll(async () => {
  tmp = await makeTempDir();
  video = await makeTestVideo({ path: path.join(tmp.dir, 'clip.mp4'), frames: 4, width: 160, height: 120 });
  stack = await startStack({ storage: 'local' });
  await stack.startApi();
  worker = await stack.startWorker();
});
afterAll(async () => {
  await stack?.stop();
  await tmp?.remove();
});

const scrape = async (url: string) => (await fetch(url)).text();
/** The value of one series, 0 when it is not there yet. */
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

describe('/metrics of the API and of the worker', () => {
  it('move when a job is submitted and finished', async () => {
    const apiUrl = `${stack.baseUrl}/metrics`;
    const workerUrl = `http://127.0.0.1:${worker.env.METRICS_PORT}/metrics`;
    const apiBefore = await scrape(apiUrl);
    const workerBefore = await scrape(workerUrl);
    expect(value(workerBefore, 'video_jobs_finished_total{status="completed",pipeline="yolo"}')).toBe(0);

    const jobId = await stack.submit(video, { pipeline_id: 'yolo' });
    await stack.waitForFinal([jobId], 60_000);

    const apiAfter = await scrape(apiUrl);
    const workerAfter = await scrape(workerUrl);
    expect(value(apiAfter, 'video_jobs_submitted_total{pipeline="yolo"}')).toBe(
      value(apiBefore, 'video_jobs_submitted_total{pipeline="yolo"}') + 1,
    );
    expect(
      value(apiAfter, 'http_request_duration_seconds_count{method="POST",route="/video/submit",status="202"}'),
    ).toBe(1);
    expect(value(apiAfter, 'video_jobs_jobs{status="completed"}')).toBe(1);
    expect(value(apiAfter, 'video_jobs_queue_depth')).toBe(0);
    expect(apiAfter).toMatch(/^video_jobs_dead_list_length 0$/m);
    expect(value(workerAfter, 'video_jobs_finished_total{status="completed",pipeline="yolo"}')).toBe(1);
    expect(value(workerAfter, 'video_jobs_job_duration_seconds_count{pipeline="yolo"}')).toBe(1);
  });
});

describe('/readyz of the API and of the worker', () => {
  it('list database, queue, storage and free space (MIN_FREE_BYTES) as ok on the split stack', async () => {
    const checks = { database: 'ok', queue: 'ok', storage: 'ok', free_space: 'ok' };
    for (const url of [`${stack.baseUrl}/readyz`, `http://127.0.0.1:${worker.env.METRICS_PORT}/readyz`]) {
      const res = await fetch(url);
      expect({ url, status: res.status, body: await res.json() }).toEqual({
        url,
        status: 200,
        body: { status: 'ok', checks },
      });
    }
  });

  it('answer 503 naming the free space when MIN_FREE_BYTES is more than the disk has', async () => {
    const greedy = await stack.startWorker({ MIN_FREE_BYTES: String(Number.MAX_SAFE_INTEGER) });
    const res = await fetch(`http://127.0.0.1:${greedy.env.METRICS_PORT}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { detail: string }).detail).toMatch(
      /^not ready: free_space: local storage has .+ free, less than MIN_FREE_BYTES \(8192\.0 TiB\)/,
    );
  });
});
