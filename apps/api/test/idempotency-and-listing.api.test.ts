import path from 'node:path';
import { Readable } from 'node:stream';
import request from 'supertest';
import { readResultsPage, resultsIndexKey, ResultsIndexBuilder, resultsJsonStream, resultsKey } from '@video-jobs/core';
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
    const first = await request(h.app())
      .post('/video/submit')
      .set('Idempotency-Key', key)
      .field('frame_stride', '2')
      .attach('file', mp4);
    expect(first.status).toBe(202);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const objects = await storedInputs();
    const again = await request(h.app())
      .post('/video/submit')
      .set('Idempotency-Key', key)
      .field('frame_stride', '2')
      .attach('file', mp4);
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
    expectProblem(
      otherFile,
      422,
      new RegExp(`already used for job ${first.body.job_id} with a different file or parameters`),
    );
    const otherParams = await request(h.app())
      .post('/video/submit?pipeline_id=yolo')
      .set('Idempotency-Key', key)
      .attach('file', mp4);
    expectProblem(otherParams, 422, /different file or parameters/);
    expect(await storedInputs()).toEqual(objects);
  });

  it('makes one job of 20 concurrent submits with one key, and keeps one stored object', async () => {
    const key = keyOf('race');
    const before = await storedInputs();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(h.app()).post('/video/submit').set('Idempotency-Key', key).attach('file', mp4),
      ),
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
    const a = await request(h.app(keys))
      .post('/video/submit')
      .set('X-API-Key', 'key-a')
      .set('Idempotency-Key', key)
      .attach('file', mp4);
    const b = await request(h.app(keys))
      .post('/video/submit')
      .set('X-API-Key', 'key-b')
      .set('Idempotency-Key', key)
      .attach('file', mp4);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(a.body.job_id).not.toBe(b.body.job_id);
    await h.queue.dequeue(100);
    await h.queue.dequeue(100);
  });

  it('treats a key older than the window as new', async () => {
    const key = keyOf('expired');
    const first = await request(h.app({ idempotencyWindowMs: 1 }))
      .post('/video/submit')
      .set('Idempotency-Key', key)
      .attach('file', mp4);
    await new Promise((r) => setTimeout(r, 20));
    const later = await request(h.app({ idempotencyWindowMs: 1 }))
      .post('/video/submit')
      .set('Idempotency-Key', key)
      .attach('file', mp4);
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

  it("lists the caller's jobs newest first as status bodies with the pipeline, each once across pages, while jobs keep arriving", async () => {
    const app = h.app(keys);
    const mine: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await request(app)
        .post('/video/submit?pipeline_id=ocr')
        .set('X-API-Key', 'key-list')
        .attach('file', mp4);
      mine.push(res.body.job_id);
    }
    const theirs = await request(app).post('/video/submit').set('X-API-Key', 'key-other').attach('file', mp4);
    // Page through while new jobs are submitted: they are newer than every cursor, so they do not
    // shift later pages; the pages hold exactly the jobs that existed, in order.
    const pages: Array<Array<Record<string, unknown>>> = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await request(app)
        .get(`/video/jobs?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
        .set('X-API-Key', 'key-list');
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
    expect(Object.keys(listed[0]).sort()).toEqual([
      'created_at',
      'job_id',
      'pipeline_id',
      'progress',
      'status',
      'updated_at',
    ]);
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
    for (let i = 0; i < 3; i++)
      ids.push(
        (await request(app).post('/video/submit').set('X-API-Key', 'key-filter').attach('file', mp4)).body.job_id,
      );
    await h.jobs.claim(ids[0], 'w');
    await h.jobs.fail(ids[0], 'w', 'no video stream');
    await h.jobs.claim(ids[1], 'w');
    const failed = (await allPages(app, 'status=failed', 'key-filter')).flat();
    expect(failed).toEqual([
      expect.objectContaining({ job_id: ids[0], status: 'failed', error_message: 'no video stream', progress: 1 }),
    ]);
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

describe('GET /video/results/{job_id} paged', () => {
  /** A completed job whose results were written as the worker writes them (JSON + index). */
  async function completedJob(frameIndexes: number[], stride: number): Promise<{ jobId: string; stored: string }> {
    const submitted = await request(h.app()).post(`/video/submit?frame_stride=${stride}`).attach('file', mp4);
    const jobId = submitted.body.job_id as string;
    await h.queue.dequeue(100);
    await h.jobs.claim(jobId, 'w');
    async function* frames() {
      for (const i of frameIndexes) {
        yield {
          frame_index: i,
          result: {
            timestamp_ms: i * 33.3,
            detections: [{ label: 'car', class_id: 2, confidence: 0.5, box: [i, 2, 3, 4] }],
            text: [{ text: `é ${i}`, confidence: 0.9, box: [1, 2, 3, 4] }],
          },
        };
      }
    }
    const index = new ResultsIndexBuilder();
    await h.storage.put(resultsKey(jobId), resultsJsonStream(frames(), index));
    await h.storage.put(resultsIndexKey(jobId), Readable.from([index.toBuffer()]));
    await h.jobs.complete(jobId, 'w', resultsKey(jobId));
    const chunks: Buffer[] = [];
    for await (const c of await h.storage.get(resultsKey(jobId))) chunks.push(c as Buffer);
    return { jobId, stored: Buffer.concat(chunks).toString('utf8') };
  }

  /** The raw text of the results array in a response, brackets stripped. */
  const rawResults = (text: string) => /"results":\[(.*)\],"created_at"/s.exec(text)![1];

  async function pagesOf(jobId: string, limit: number) {
    const texts: string[] = [];
    let url: string | null = `/video/results/${jobId}?from_frame=0&limit=${limit}`;
    while (url) {
      const res: request.Response = await request(h.app())
        .get(url)
        .buffer(true)
        .parse((r, cb) => {
          let t = '';
          r.on('data', (c: Buffer) => (t += c.toString('utf8')));
          r.on('end', () => cb(null, t));
        });
      expect(res.status).toBe(200);
      texts.push(res.body as string);
      const link = res.headers.link as string | undefined;
      url = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : null;
    }
    return texts;
  }

  it.each([
    ['dense frames at stride 5', Array.from({ length: 23 }, (_, i) => i * 5), 5],
    ['frames with gaps the stride does not predict', [0, 1, 2, 7, 8, 30, 31, 32, 90, 91, 200], 1],
  ])('concatenates pages to the full results byte for byte (%s)', async (_what, indexes, stride) => {
    const { jobId, stored } = await completedJob(indexes, stride);
    for (const limit of [1, 4, 10_000]) {
      const pages = await pagesOf(jobId, limit);
      expect(pages).toHaveLength(Math.ceil(indexes.length / limit));
      const joined = `[${pages.map(rawResults).join(',')}]`;
      expect(joined).toBe(stored);
      for (const p of pages)
        expect(JSON.parse(p)).toEqual(expect.objectContaining({ job_id: jobId, created_at: expect.any(String) }));
    }
  });

  it('starts at the first frame at or after from_frame, and answers an empty page with no Link past the end', async () => {
    const { jobId } = await completedJob([0, 10, 20, 30], 10);
    const mid = await request(h.app()).get(`/video/results/${jobId}?from_frame=11&limit=2`);
    expect(mid.body.results.map((f: { frame_index: number }) => f.frame_index)).toEqual([20, 30]);
    expect(mid.headers.link).toBeUndefined();
    const first = await request(h.app()).get(`/video/results/${jobId}?limit=1`);
    expect(first.headers.link).toBe(`</video/results/${jobId}?from_frame=10&limit=1>; rel="next"`);
    const past = await request(h.app()).get(`/video/results/${jobId}?from_frame=31`);
    expect(past.status).toBe(200);
    expect(past.body.results).toEqual([]);
    expect(Object.keys(past.body)).toEqual(['job_id', 'results', 'created_at', 'updated_at']);
    expect(past.headers.link).toBeUndefined();
  });

  it('pages a job completed before the index existed', async () => {
    const { jobId, stored } = await completedJob([0, 3, 6, 9, 12], 3);
    await h.storage.delete(resultsIndexKey(jobId));
    const pages = await pagesOf(jobId, 2);
    expect(pages).toHaveLength(3);
    expect(`[${pages.map(rawResults).join(',')}]`).toBe(stored);
  });

  it.each(['from_frame=-1', 'from_frame=abc', 'limit=0', 'limit=10001', 'limit=1.5'])(
    'answers 400 for %s',
    async (query) => {
      const { jobId } = await completedJob([0], 1);
      expectProblem(await request(h.app()).get(`/video/results/${jobId}?${query}`), 400, /must be a whole number/);
    },
  );
});

describe('readResultsPage', () => {
  it('finds the page when the stride guess lands early, late or past the end', async () => {
    const index = new ResultsIndexBuilder();
    // Frames 0..9 then a jump to 1000..1009: a stride-1 guess for from_frame 1000 lands past the end.
    const indexes = [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 1000 + i)];
    async function* frames() {
      for (const i of indexes) yield { frame_index: i, result: { timestamp_ms: i } };
    }
    await h.storage.put('paging/r.json', resultsJsonStream(frames(), index));
    await h.storage.put('paging/r.index', Readable.from([index.toBuffer()]));
    const keys = { json: 'paging/r.json', index: 'paging/r.index' };
    const frameIndexesOf = async (fromFrame: number, limit: number, stride: number) => {
      const page = await readResultsPage(h.storage, keys, fromFrame, limit, stride);
      const chunks: Buffer[] = [];
      if (page.body) for await (const c of page.body) chunks.push(c as Buffer);
      const frames = JSON.parse(`[${Buffer.concat(chunks).toString('utf8')}]`) as Array<{ frame_index: number }>;
      return { got: frames.map((f) => f.frame_index), next: page.nextFromFrame };
    };
    expect(await frameIndexesOf(1000, 3, 1)).toEqual({ got: [1000, 1001, 1002], next: 1003 });
    expect(await frameIndexesOf(5, 3, 100)).toEqual({ got: [5, 6, 7], next: 8 });
    expect(await frameIndexesOf(8, 4, 1)).toEqual({ got: [8, 9, 1000, 1001], next: 1002 });
    expect(await frameIndexesOf(10, 2, 1)).toEqual({ got: [1000, 1001], next: 1002 });
    expect(await frameIndexesOf(1008, 5, 1)).toEqual({ got: [1008, 1009], next: null });
    expect(await frameIndexesOf(2000, 5, 1)).toEqual({ got: [], next: null });
  });
});
