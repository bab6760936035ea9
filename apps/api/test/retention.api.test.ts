import path from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import {
  createLogger,
  expireFinishedJobs,
  resultsIndexKey,
  ResultsIndexBuilder,
  resultsJsonStream,
  resultsKey,
  type RetentionOptions,
} from '@video-jobs/core';
import { makeTempDir, makeTestVideo } from '../../../packages/pipeline/src/test-support';
import { createApiHarness, type ApiHarness } from './api-harness';

/** What a client sees of a job once retention has run: the HTTP app over PGlite and local files. */
let h: ApiHarness;
let tmp: { dir: string; remove: () => Promise<void> };
let mp4: string;
const HOUR = 3600_000;
const logger = createLogger('error', { silent: true });

beforeAll(async () => {
  h = await createApiHarness();
  tmp = await makeTempDir();
  mp4 = await makeTestVideo({ path: path.join(tmp.dir, 'clip.mp4'), frames: 2, width: 64, height: 48 });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await tmp?.remove();
});

/** Submits through the API, then finishes the job as a worker would (results, index, completed). */
async function completedJob(idempotencyKey?: string): Promise<string> {
  const submit = request(h.app()).post('/video/submit').attach('file', mp4);
  const res = await (idempotencyKey ? submit.set('Idempotency-Key', idempotencyKey) : submit);
  expect(res.status).toBe(202);
  const jobId = (res.body as { job_id: string }).job_id;
  await h.jobs.claim(jobId, 'w');
  const index = new ResultsIndexBuilder();
  async function* frames() {
    yield { frame_index: 0, result: { timestamp_ms: 0, detections: [] } };
  }
  await h.storage.put(resultsKey(jobId), resultsJsonStream(frames(), index));
  await h.storage.put(resultsIndexKey(jobId), Readable.from([index.toBuffer()]));
  expect(await h.jobs.complete(jobId, 'w', resultsKey(jobId))).toBe(true);
  return jobId;
}

/** Moves the job's finish time into the past (the test's clock and the database's are this machine's). */
const finishedAgo = (jobId: string, ms: number) =>
  h.db
    .updateTable('jobs')
    .set({ updated_at: new Date(Date.now() - ms) })
    .where('job_id', '=', jobId)
    .execute();

const retention = (options: Partial<RetentionOptions>) =>
  expireFinishedJobs(
    { jobs: h.jobs, storage: h.storage, logger },
    { retentionMs: HOUR, inputRetentionMs: null, claimMs: 60_000, ...options },
  );

function expectNotFound(res: request.Response, detail: RegExp) {
  expect(res.status).toBe(404);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect((res.body as { detail: string }).detail).toMatch(detail);
}

describe('a job after retention', () => {
  it('answers 404 on status, results and input once its retention is over, and leaves the listing', async () => {
    const jobId = await completedJob();
    const app = h.app();
    expect((await request(app).get(`/video/status/${jobId}`)).status).toBe(200);
    expect((await request(app).get(`/video/results/${jobId}`)).status).toBe(200);
    expect((await request(app).get(`/video/input/${jobId}`)).status).toBe(200);

    await finishedAgo(jobId, 2 * HOUR);
    expect(await retention({ retentionMs: HOUR })).toMatchObject({ jobsDeleted: 1 });

    expectNotFound(await request(app).get(`/video/status/${jobId}`), /no job with id/);
    expectNotFound(await request(app).get(`/video/results/${jobId}`), /no job with id/);
    expectNotFound(await request(app).get(`/video/results/${jobId}?from_frame=0&limit=1`), /no job with id/);
    expectNotFound(await request(app).get(`/video/input/${jobId}`), /no job with id/);
    const listed = await request(app).get('/video/jobs?limit=100');
    expect((listed.body as { jobs: Array<{ job_id: string }> }).jobs.map((j) => j.job_id)).not.toContain(jobId);
    expect(await h.storage.list(`video_jobs/${jobId}`)).toEqual([]);
  });

  it('answers 404 on its input only, once INPUT_RETENTION_MS is over, while status and results remain', async () => {
    const jobId = await completedJob();
    expect(await retention({ retentionMs: 24 * HOUR, inputRetentionMs: 0 })).toMatchObject({ inputsDeleted: 1 });

    const app = h.app();
    expectNotFound(await request(app).get(`/video/input/${jobId}`), /no longer stored .*INPUT_RETENTION_MS/);
    expect((await request(app).head(`/video/input/${jobId}`)).status).toBe(404);
    const status = await request(app).get(`/video/status/${jobId}`);
    expect(status.status).toBe(200);
    expect((status.body as { status: string }).status).toBe('completed');
    const results = await request(app).get(`/video/results/${jobId}`);
    expect(results.status).toBe(200);
    expect((results.body as { results: unknown[] }).results).toHaveLength(1);
  });

  it('lets a new submit use the Idempotency-Key of a deleted job, making a new job', async () => {
    const key = `retention-${Math.random().toString(36).slice(2)}`;
    const first = await completedJob(key);
    await finishedAgo(first, 2 * HOUR);
    await retention({ retentionMs: HOUR });

    const again = await request(h.app()).post('/video/submit').set('Idempotency-Key', key).attach('file', mp4);
    expect(again.status).toBe(202);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect((again.body as { job_id: string }).job_id).not.toBe(first);
  });
});
