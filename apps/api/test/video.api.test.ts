import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { inputKey, resultsKey } from '@video-jobs/core';
import {
  makeLongDurationMp4,
  makeSizedMp4,
  makeTempDir,
  makeTestVideo,
} from '../../../packages/pipeline/src/test-support';
import { hashApiKey } from '../src/http/auth';
import { buildOpenApiDocument } from '../src/openapi/openapi';
import { createApiHarness, PIPELINE_IDS, type ApiHarness } from './api-harness';

let h: ApiHarness;
let tmp: { dir: string; remove: () => Promise<void> };
let mp4: string;
let png: string;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(buildOpenApiDocument(PIPELINE_IDS, 'yolo_ocr'), 'openapi');
const schema = (name: string) => ajv.getSchema(`openapi#/components/schemas/${name}`)!;

function expectMatches(name: string, body: unknown) {
  const validate = schema(name);
  expect(validate(body) ? [] : validate.errors).toEqual([]);
}

function expectProblem(res: request.Response, status: number, detail: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expectMatches('Problem', res.body);
  expect(res.body.status).toBe(status);
  expect(res.body.detail).toMatch(detail);
}

async function storedKeys(): Promise<string[]> {
  return h.storage.list('video_jobs/');
}

async function jobCount(): Promise<number> {
  const counts = await h.jobs.countByStatus();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Every refused submit must leave neither a row nor an object behind. */
async function expectNothingLeft(before: { keys: string[]; jobs: number }) {
  expect(await storedKeys()).toEqual(before.keys);
  expect(await jobCount()).toBe(before.jobs);
}

async function snapshot() {
  return { keys: await storedKeys(), jobs: await jobCount() };
}

beforeAll(async () => {
  h = await createApiHarness();
  tmp = await makeTempDir();
  mp4 = await makeTestVideo({ path: path.join(tmp.dir, 'clip.mp4'), frames: 3, width: 64, height: 48 });
  png = path.join(tmp.dir, 'image.mp4');
  // A PNG named .mp4: the signature check reads bytes, not names.
  await writeFile(png, Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex'));
}, 60_000);

afterAll(async () => {
  await h?.close();
  await tmp?.remove();
});

describe('POST /video/submit', () => {
  it('answers 202 with only the job id and a Location, stores the upload and queues the job', async () => {
    const res = await request(h.app())
      .post('/video/submit')
      .field('pipeline_id', 'yolo')
      .field('frame_stride', '5')
      .field('max_frames', '2')
      .attach('file', mp4);
    expect(res.status).toBe(202);
    expect(Object.keys(res.body)).toEqual(['job_id']);
    expectMatches('SubmitAccepted', res.body);
    expect(res.headers.location).toBe(`/video/status/${res.body.job_id}`);

    const job = await h.jobs.get(res.body.job_id);
    expect(job).toMatchObject({ status: 'pending', pipeline_id: 'yolo', frame_stride: 5, max_frames: 2, owner: null });
    expect(job!.input_path).toBe(inputKey(res.body.job_id));
    const stored = await h.storage.get(inputKey(res.body.job_id));
    const chunks: Buffer[] = [];
    for await (const c of stored) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(await readFile(mp4))).toBe(true);
    expect(await h.queue.dequeue(100)).toBe(res.body.job_id);
  });

  it('takes parameters from the query string and applies the defaults', async () => {
    const res = await request(h.app()).post('/video/submit?frame_stride=3').attach('file', mp4);
    expect(res.status).toBe(202);
    expect(await h.jobs.get(res.body.job_id)).toMatchObject({
      pipeline_id: 'yolo_ocr',
      frame_stride: 3,
      max_frames: null,
    });
    await h.queue.dequeue(100);
  });

  it('never uses the client filename for the stored key', async () => {
    const res = await request(h.app())
      .post('/video/submit')
      .attach('file', mp4, { filename: '../../etc/passwd' + 'x'.repeat(300) + '.mp4' });
    expect(res.status).toBe(202);
    expect((await h.jobs.get(res.body.job_id))!.input_path).toBe(`video_jobs/${res.body.job_id}.mp4`);
    await h.queue.dequeue(100);
  });

  const refused: Array<[string, (r: request.Test) => request.Test, RegExp]> = [
    ['no file', (r) => r.field('pipeline_id', 'yolo'), /no file/],
    ['a file in another field', (r) => r.attach('video', mp4), /form field "file"/],
    ['two files', (r) => r.attach('file', mp4).attach('file', mp4), /exactly one file/],
    ['an empty file', (r) => r.attach('file', Buffer.alloc(0), 'empty.mp4'), /empty/],
    ['a PNG named .mp4', (r) => r.attach('file', png), /not an MP4/],
    ['random bytes', (r) => r.attach('file', Buffer.from('hello world, not a video at all'), 'x.mp4'), /not an MP4/],
    [
      'an unknown pipeline',
      (r) => r.field('pipeline_id', 'dag').attach('file', mp4),
      /pipeline_id must be one of: yolo_ocr, yolo, ocr/,
    ],
    ['frame_stride 0', (r) => r.field('frame_stride', '0').attach('file', mp4), /frame_stride must be >= 1/],
    [
      'frame_stride -1',
      (r) => r.field('frame_stride', '-1').attach('file', mp4),
      /frame_stride must be a whole number/,
    ],
    [
      'frame_stride 1.5',
      (r) => r.field('frame_stride', '1.5').attach('file', mp4),
      /frame_stride must be a whole number/,
    ],
    [
      'frame_stride abc',
      (r) => r.field('frame_stride', 'abc').attach('file', mp4),
      /frame_stride must be a whole number/,
    ],
    [
      'frame_stride 1e9',
      (r) => r.field('frame_stride', '1e9').attach('file', mp4),
      /frame_stride must be a whole number/,
    ],
    [
      'an absurd frame_stride',
      (r) => r.field('frame_stride', '99999999999').attach('file', mp4),
      /frame_stride must be <=/,
    ],
    ['max_frames 0', (r) => r.field('max_frames', '0').attach('file', mp4), /max_frames must be >= 1/],
    [
      'a parameter given twice differently',
      (r) => r.field('frame_stride', '2').field('frame_stride', '3').attach('file', mp4),
      /more than once/,
    ],
  ];
  it.each(refused)('refuses %s with 400 and leaves nothing behind', async (_name, build, detail) => {
    const before = await snapshot();
    const res = await build(request(h.app()).post('/video/submit'));
    expectProblem(res, 400, detail);
    await expectNothingLeft(before);
  });

  it('refuses a bad query parameter before reading the upload', async () => {
    const before = await snapshot();
    const res = await request(h.app()).post('/video/submit?max_frames=-3').attach('file', mp4);
    expectProblem(res, 400, /max_frames/);
    await expectNothingLeft(before);
  });

  it('refuses a body that is not multipart', async () => {
    const res = await request(h.app()).post('/video/submit').set('Content-Type', 'application/json').send('{"file": ');
    expectProblem(res, 400, /multipart\/form-data/);
  });

  it('answers 413 for an upload over the limit and removes the partial object', async () => {
    const before = await snapshot();
    const big = Buffer.concat([(await readFile(mp4)).subarray(0, 12), Buffer.alloc(300_000, 7)]);
    const res = await request(h.app({ maxUploadBytes: 100_000 }))
      .post('/video/submit')
      .attach('file', big, 'big.mp4');
    expectProblem(res, 413, /larger than the limit of 100000 bytes/);
    await expectNothingLeft(before);
  });

  it.each([
    [
      'frames over MAX_VIDEO_PIXELS (8192x8192)',
      (d: string) => makeSizedMp4(path.join(d, 'huge.mp4'), 8192, 8192),
      /8192x8192 .*over the limit of 33177600 pixels \(MAX_VIDEO_PIXELS\)/,
    ],
    [
      'a duration over MAX_VIDEO_SECONDS (6 h 56 min)',
      (d: string) => makeLongDurationMp4(path.join(d, 'long.mp4')),
      /lasts 6\.94 h .*over the limit of 6\.00 h .*\(MAX_VIDEO_SECONDS\)/,
    ],
  ])(
    'answers 422 naming the limit for a video with %s, and keeps no object and no row',
    async (_what, make, detail) => {
      const file = await make(tmp.dir);
      const before = await snapshot();
      const res = await request(h.app()).post('/video/submit').attach('file', file, 'clip.mp4');
      expectProblem(res, 422, detail);
      await expectNothingLeft(before);
    },
    60_000,
  );

  it('answers 500 and keeps no object and no row when storage fails mid-upload with an unexpected error', async () => {
    const before = await snapshot();
    // The real storage receives the first bytes, then the stream breaks, as a failing disk (EIO)
    // would. A full disk has its own answer, 507 (storage-errors.api.test.ts).
    const storage = Object.create(h.storage, {
      put: {
        value: (key: string, body: Readable) => {
          let seen = 0;
          const breaking = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              seen += chunk.length;
              cb(seen > 64 * 1024 ? Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }) : null, chunk);
            },
          });
          return h.storage.put(key, body.pipe(breaking));
        },
      },
    });
    const big = Buffer.concat([(await readFile(mp4)).subarray(0, 12), Buffer.alloc(300_000, 7)]);
    const res = await request(h.app({ storage })).post('/video/submit').attach('file', big, 'clip.mp4');
    expectProblem(res, 500, new RegExp(res.headers['x-request-id']));
    expect(res.body.detail).not.toContain('EIO');
    await expectNothingLeft(before);
    // list() hides temp files, so look at the disk too: no half-written file either.
    const onDisk = await readdir(path.join(h.storageDir, 'video_jobs')).catch(() => [] as string[]);
    expect(onDisk.filter((f) => f.endsWith('.partial'))).toEqual([]);
  });
});

describe('GET /video/status/:job_id', () => {
  it('answers the exact field set of a pending job', async () => {
    const submitted = await request(h.app()).post('/video/submit').attach('file', mp4);
    await h.queue.dequeue(100);
    const res = await request(h.app()).get(`/video/status/${submitted.body.job_id}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['created_at', 'job_id', 'progress', 'status', 'updated_at']);
    expect(res.body).toMatchObject({ job_id: submitted.body.job_id, status: 'pending', progress: 0 });
    expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expectMatches('JobStatus', res.body);
  });

  it('adds error_message to a failed job and reports progress 1', async () => {
    const jobId = await submitAndSettle('failed');
    const res = await request(h.app()).get(`/video/status/${jobId}`);
    expect(res.body).toMatchObject({ status: 'failed', progress: 1, error_message: 'no video stream' });
    expectMatches('JobStatus', res.body);
  });

  it.each([
    ['an unknown id', '6f1c9b0e-6b9e-4a57-9a0e-0d3f0c1b2a3d'],
    ['a malformed id', 'not-a-uuid'],
    ['an SQL-looking id', "1' OR '1'='1"],
    ['a very long id', 'a'.repeat(5000)],
  ])('answers 404, not 500, for %s', async (_name, id) => {
    const res = await request(h.app()).get(`/video/status/${encodeURIComponent(id)}`);
    expectProblem(res, 404, /no job with id/);
  });
});

describe('GET /video/results/:job_id', () => {
  it('answers 404 naming the status of a job that is not completed', async () => {
    const submitted = await request(h.app()).post('/video/submit').attach('file', mp4);
    await h.queue.dequeue(100);
    const res = await request(h.app()).get(`/video/results/${submitted.body.job_id}`);
    expectProblem(res, 404, /its status is pending/);
  });

  it('streams the stored results inside the envelope of a completed job', async () => {
    const jobId = await submitAndSettle('completed');
    const res = await request(h.app()).get(`/video/results/${jobId}`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['job_id', 'results', 'created_at', 'updated_at']);
    expect(res.body.results).toEqual(STORED_RESULTS);
    expectMatches('JobResults', res.body);
  });

  it('answers 404 for an unknown id', async () => {
    const res = await request(h.app()).get('/video/results/6f1c9b0e-6b9e-4a57-9a0e-0d3f0c1b2a3d');
    expectProblem(res, 404, /no job with id/);
  });
});

describe('API keys', () => {
  const keys = { apiKeys: ['key-a', 'key-b'] };

  it('answers 401 without a key and with a wrong key', async () => {
    expectProblem(await request(h.app(keys)).get('/video/status/x'), 401, /Authorization: Bearer/);
    expectProblem(
      await request(h.app(keys)).post('/video/submit').set('Authorization', 'Bearer nope').attach('file', mp4),
      401,
      /not valid/,
    );
  });

  it('stores a hash of the key as owner, never the key', async () => {
    const res = await request(h.app(keys))
      .post('/video/submit')
      .set('Authorization', 'Bearer key-a')
      .attach('file', mp4);
    expect(res.status).toBe(202);
    await h.queue.dequeue(100);
    const job = await h.jobs.get(res.body.job_id);
    expect(job!.owner).toBe(hashApiKey('key-a'));
    expect(JSON.stringify(job)).not.toContain('key-a');
  });

  it('returns 404 for a job owned by another key', async () => {
    const res = await request(h.app(keys))
      .post('/video/submit')
      .set('Authorization', 'Bearer key-a')
      .attach('file', mp4);
    await h.queue.dequeue(100);
    const own = await request(h.app(keys)).get(`/video/status/${res.body.job_id}`).set('Authorization', 'Bearer key-a');
    expect(own.status).toBe(200);
    const other = await request(h.app(keys))
      .get(`/video/status/${res.body.job_id}`)
      .set('Authorization', 'Bearer key-b');
    expectProblem(other, 404, /no job with id/);
    const otherResults = await request(h.app(keys))
      .get(`/video/results/${res.body.job_id}`)
      .set('Authorization', 'Bearer key-b');
    expectProblem(otherResults, 404, /no job with id/);
  });

  it('accepts the key as X-API-Key with the same owner as Bearer', async () => {
    const res = await request(h.app(keys)).post('/video/submit').set('X-API-Key', 'key-a').attach('file', mp4);
    expect(res.status).toBe(202);
    await h.queue.dequeue(100);
    expect((await h.jobs.get(res.body.job_id))!.owner).toBe(hashApiKey('key-a'));
    const viaBearer = await request(h.app(keys))
      .get(`/video/status/${res.body.job_id}`)
      .set('Authorization', 'Bearer key-a');
    expect(viaBearer.status).toBe(200);
    const both = await request(h.app(keys))
      .get(`/video/status/${res.body.job_id}`)
      .set('Authorization', 'Bearer key-a')
      .set('X-API-Key', 'key-a');
    expect(both.status).toBe(200);
  });

  it('answers 401 for a wrong X-API-Key, an empty one, and two different keys', async () => {
    expectProblem(await request(h.app(keys)).get('/video/status/x').set('X-API-Key', 'nope'), 401, /not valid/);
    expectProblem(await request(h.app(keys)).get('/video/status/x').set('X-API-Key', ''), 401, /X-API-Key/);
    expectProblem(
      await request(h.app(keys)).get('/video/status/x').set('Authorization', 'Bearer key-a').set('X-API-Key', 'key-b'),
      401,
      /two different API keys/,
    );
  });

  it('leaves the operational routes open', async () => {
    expect((await request(h.app(keys)).get('/healthz')).status).toBe(200);
  });
});

describe('operations', () => {
  it('answers 404 problem for an unknown route', async () => {
    expectProblem(await request(h.app()).get('/nope'), 404, /no route for GET \/nope/);
  });

  it('is ready when database, queue and storage answer', async () => {
    const res = await request(h.app()).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual({ database: 'ok', queue: 'ok', storage: 'ok' });
  });

  it('answers 503 naming the part that is down', async () => {
    const queue = Object.create(h.queue, { ping: { value: () => Promise.reject(new Error('connection refused')) } });
    const res = await request(h.app({ queue })).get('/readyz');
    expectProblem(res, 503, /queue unreachable \(connection refused\)/);
  });

  it('answers 500 without internals and with a request id for an unexpected error', async () => {
    const jobs = Object.create(h.jobs, { get: { value: () => Promise.reject(new Error('secret internal detail')) } });
    const res = await request(h.app({ jobs })).get('/video/status/6f1c9b0e-6b9e-4a57-9a0e-0d3f0c1b2a3d');
    expectProblem(res, 500, new RegExp(res.headers['x-request-id']));
    expect(res.body.detail).not.toContain('secret');
  });

  it('answers 503 with Retry-After, not 500, while the database is unreachable', async () => {
    const down = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const jobs = Object.create(h.jobs, { get: { value: () => Promise.reject(down) } });
    const res = await request(h.app({ jobs })).get('/video/status/6f1c9b0e-6b9e-4a57-9a0e-0d3f0c1b2a3d');
    expectProblem(res, 503, /database cannot be reached/);
    expect(res.headers['retry-after']).toBe('5');
  });

  it('counts submissions and requests in /metrics', async () => {
    const app = h.app();
    await request(app).post('/video/submit').field('pipeline_id', 'ocr').attach('file', mp4);
    await h.queue.dequeue(100);
    const text = (await request(app).get('/metrics')).text;
    expect(text).toMatch(/video_jobs_submitted_total\{pipeline="ocr"\} 1/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/video\/submit",status="202"\} 1/);
    expect(text).toMatch(/video_jobs_jobs\{status="pending"\} \d+/);
    expect(text).toMatch(/video_jobs_queue_depth 0/);
  });

  it('serves the OpenAPI document with the three video endpoints', async () => {
    const res = await request(h.app()).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/video/submit', '/video/status/{job_id}', '/video/results/{job_id}']),
    );
  });
});

const STORED_RESULTS = [
  {
    frame_index: 0,
    result: { timestamp_ms: 0, detections: [{ label: 'bird', class_id: 14, confidence: 0.9, box: [1, 2, 3, 4] }] },
  },
  { frame_index: 5, result: { timestamp_ms: 166.7, detections: [] } },
];

/** Drives a submitted job through the repository the way a worker would. */
async function submitAndSettle(outcome: 'completed' | 'failed'): Promise<string> {
  const submitted = await request(h.app()).post('/video/submit').attach('file', mp4);
  const jobId = submitted.body.job_id as string;
  await h.queue.dequeue(100);
  await h.jobs.claim(jobId, 'test-worker');
  if (outcome === 'failed') {
    await h.jobs.fail(jobId, 'test-worker', 'no video stream');
  } else {
    await h.storage.put(resultsKey(jobId), Readable.from([JSON.stringify(STORED_RESULTS)]));
    await h.jobs.complete(jobId, 'test-worker', resultsKey(jobId));
  }
  return jobId;
}
