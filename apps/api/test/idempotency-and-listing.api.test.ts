import path from 'node:path';
import request from 'supertest';
import { makeTempDir, makeTestVideo } from '../../../packages/pipeline/src/test-support';
import { createApiHarness, type ApiHarness } from './api-harness';

let h: ApiHarness;
let tmp: { dir: string; remove: () => Promise<void> };
let mp4: string;
let otherMp4: string;
const keys = { apiKeys: ['key-a', 'key-b', 'key-list', 'key-other', 'key-filter'] };

beforeAll(async () => {
  h = await createApiHarness();
  tmp = await makeTempDir();
  mp4 = await makeTestVideo({ path: path.join(tmp.dir, 'clip.mp4'), frames: 3, width: 64, height: 48 });
  otherMp4 = await makeTestVideo({ path: path.join(tmp.dir, 'other.mp4'), frames: 4, width: 64, height: 48 });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await tmp?.remove();
});

const storedInputs = () => h.storage.list('video_jobs/');
const keyOf = (name: string) => `${name}-${Math.random().toString(36).slice(2)}`;

function expectProblem(res: request.Response, status: number, detail: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body.detail).toMatch(detail);
}

describe('POST /video/submit with Idempotency-Key', () => {
  it('replays the original 202 and Location for the same key and file, storing nothing new', async () => {
    const key = keyOf('replay');
    const first = await request(h.app()).post('/video/submit').set('Idempotency-Key', key).field('frame_stride', '2').attach('file', mp4);
    expect(first.status).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const objects = await storedInputs();
    const again = await request(h.app()).post('/video/submit').set('Idempotency-Key', key).field('frame_stride', '2').attach('file', mp4);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ job_id: first.body.job_id });
    expect(again.headers.location).toBe(`/video/status/${first.body.job_id}`);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await storedInputs()).toEqual(objects);
    expect(await h.queue.dequeue(100)).toBe(first.body.job_id);
    expect(await h.queue.dequeue(50)).toBeNull();
  });

  it('accepts the key in the IETF draft form (a quoted string) as the same key', async () => {
    const key = keyOf('quoted');
    const first = await request(h.app()).post('/video/submit').set('Idempotency-Key', key).attach('file', mp4);
    const again = await request(h.app()).post('/video/submit').set('Idempotency-Key', `"${key}"`).attach('file', mp4);
    expect(again.body.job_id).toBe(first.body.job_id);
    await h.queue.dequeue(100);
  });

  it('answers 422 for the same key with a different file or different parameters, storing nothing', async () => {
    const key = keyOf('mismatch');
    const first = await request(h.app()).post('/video/submit').set('Idempotency-Key', key).attach('file', mp4);
    expect(first.status).toBe(202);
    await h.queue.dequeue(100);
    const objects = await storedInputs();
    const otherFile = await request(h.app()).post('/video/submit').set('Idempotency-Key', key).attach('file', otherMp4);
    expectProblem(otherFile, 422, new RegExp(`already used for job ${first.body.job_id} with a different file or parameters`));
    const otherParams = await request(h.app()).post('/video/submit?pipeline_id=yolo').set('Idempotency-Key', key).attach('file', mp4);
    expectProblem(otherParams, 422, /different file or parameters/);
    expect(await storedInputs()).toEqual(objects);
  });

  it('makes one job of 20 concurrent submits with one key, and keeps one stored object', async () => {
    const key = keyOf('race');
    const before = await storedInputs();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => request(h.app()).post('/video/submit').set('Idempotency-Key', key).attach('file', mp4)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const ids = new Set(answers.map((a) => a.body.job_id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
    const after = await storedInputs();
    expect(after.filter((k) => !before.includes(k))).toEqual([`video_jobs/${[...ids][0]}.mp4`]);
    expect(await h.queue.dequeue(100)).toBe([...ids][0]);
    expect(await h.queue.dequeue(50)).toBeNull();
  });

  it('keeps one key apart per API key', async () => {
    const key = keyOf('owners');
    const a = await request(h.app(keys)).post('/video/submit').set('X-API-Key', 'key-a').set('Idempotency-Key', key).attach('file', mp4);
    const b = await request(h.app(keys)).post('/video/submit').set('X-API-Key', 'key-b').set('Idempotency-Key', key).attach('file', mp4);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.body.job_id).not.toBe(b.body.job_id);
    await h.queue.dequeue(100);
    await h.queue.dequeue(100);
  });

  it('treats a key older than the window as new', async () => {
    const key = keyOf('expired');
    const first = await request(h.app({ idempotencyWindowMs: 1 })).post('/video/submit').set('Idempotency-Key', key).attach('file', mp4);
    await new Promise((r) => setTimeout(r, 20));
    const later = await request(h.app({ idempotencyWindowMs: 1 })).post('/video/submit').set('Idempotency-Key', key).attach('file', mp4);
    expect(later.status).toBe(202);
    expect(later.body.job_id).not.toBe(first.body.job_id);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    await h.queue.dequeue(100);
    await h.queue.dequeue(100);
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['non-ASCII', 'clé'],
    ['a control character', 'a\tb'],
  ])('answers 400 for a key that is %s, before reading the upload', async (_what, key) => {
    const before = await storedInputs();
    const res = await request(h.app()).post('/video/submit').set('Idempotency-Key', key).attach('file', mp4);
    expectProblem(res, 400, /Idempotency-Key must be 1 to 255 printable ASCII characters/);
    expect(await storedInputs()).toEqual(before);
  });
});

describe('GET /video/jobs', () => {
  /** Every page of a listing, following next_cursor. */
  async function allPages(app: ReturnType<ApiHarness['app']>, query: string, key?: string) {
    const pages: Array<Array<{ job_id: string }>> = [];
    let cursor: string | null = null;
    do {
      const url: string = `/video/jobs?${query}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = key ? await request(app).get(url).set('X-API-Key', key) : await request(app).get(url);
      expect(res.status).toBe(200);
      pages.push(res.body.jobs);
      cursor = res.body.next_cursor;
    } while (cursor);
    return pages;
  }

  it('lists the caller\'s jobs newest first as status bodies with the pipeline, each once across pages, while jobs keep arriving', async () => {
    const app = h.app(keys);
    const mine: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await request(app).post('/video/submit?pipeline_id=ocr').set('X-API-Key', 'key-list').attach('file', mp4);
      mine.push(res.body.job_id);
    }
    const theirs = await request(app).post('/video/submit').set('X-API-Key', 'key-other').attach('file', mp4);
    // Page through while new jobs are submitted: they are newer than every cursor, so they do not
    // shift later pages; the pages hold exactly the jobs that existed, in order.
    const pages: Array<Array<Record<string, unknown>>> = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(app).get(`/video/jobs?limit=3${cursor ? `&cursor=${cursor}` : ''}`).set('X-API-Key', 'key-list');
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['jobs', 'next_cursor']);
      pages.push(res.body.jobs);
      cursor = res.body.next_cursor;
      await request(app).post('/video/submit').set('X-API-Key', 'key-list').attach('file', mp4);
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    const listed = pages.flat();
    expect(listed.map((j) => j.job_id)).toEqual([...mine].reverse());
    expect(listed.map((j) => j.job_id)).not.toContain(theirs.body.job_id);
    expect(Object.keys(listed[0]).sort()).toEqual(['created_at', 'job_id', 'pipeline_id', 'progress', 'status', 'updated_at']);
    expect(listed[0]).toMatchObject({ status: 'pending', progress: 0, pipeline_id: 'ocr' });
    const b = (await allPages(app, 'limit=100', 'key-other')).flat();
    expect(b.map((j) => j.job_id)).toEqual([theirs.body.job_id]);
    while (await h.queue.dequeue(20)) {
      // drain
    }
  });

  it('filters by repeated status parameters', async () => {
    const app = h.app(keys);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await request(app).post('/video/submit').set('X-API-Key', 'key-filter').attach('file', mp4)).body.job_id);
    await h.jobs.claim(ids[0], 'w');
    await h.jobs.fail(ids[0], 'w', 'no video stream');
    await h.jobs.claim(ids[1], 'w');
    const failed = (await allPages(app, 'status=failed', 'key-filter')).flat();
    expect(failed).toEqual([expect.objectContaining({ job_id: ids[0], status: 'failed', error_message: 'no video stream', progress: 1 })]);
    const busy = (await allPages(app, 'status=failed&status=running&limit=1', 'key-filter')).flat();
    expect(busy.map((j) => j.job_id)).toEqual([ids[1], ids[0]]);
    while (await h.queue.dequeue(20)) {
      // drain
    }
  });

  it('lists open-mode jobs without a key', async () => {
    const res = await request(h.app()).post('/video/submit').attach('file', mp4);
    const first = await request(h.app()).get('/video/jobs?limit=1');
    expect(first.body.jobs.map((j: { job_id: string }) => j.job_id)).toEqual([res.body.job_id]);
    await h.queue.dequeue(100);
  });

  it.each([
    ['limit=0', /limit must be a whole number from 1 to 100/],
    ['limit=101', /limit must be a whole number from 1 to 100/],
    ['limit=abc', /limit must be/],
    ['limit=1&limit=2', /limit must be/],
    ['status=done', /status must be one of: pending, running, completed, failed/],
    ['status=pending,failed', /status must be one of/],
    ['cursor=abc', /cursor is not one this service gave out/],
    [`cursor=${Buffer.from('12.not-a-uuid-0000000000000000000000000').toString('base64url')}`, /cursor is not one/],
    ['cursor=%2B%2F', /cursor is not one/],
  ])('answers 400 for %s', async (query, detail) => {
    expectProblem(await request(h.app()).get(`/video/jobs?${query}`), 400, detail);
  });

  it('answers 401 without a key when keys are configured', async () => {
    expectProblem(await request(h.app(keys)).get('/video/jobs'), 401, /API key/);
  });
});
