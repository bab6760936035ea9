import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import request from 'supertest';
import { createLogger, S3Storage, type ObjectStorage } from '@video-jobs/core';
import { newJobFactory, startS3rver, type TestS3 } from '@video-jobs/core/test-support';
import { hashApiKey } from '../src/http/auth';
import { createApiHarness, type ApiHarness } from './api-harness';

let h: ApiHarness;
let s3: TestS3;
let s3Storage: S3Storage;
const SIZE = 300 * 1024 + 17;
const video = randomBytes(SIZE);

beforeAll(async () => {
  h = await createApiHarness();
  s3 = await startS3rver();
  s3Storage = new S3Storage({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    credentials: s3.credentials,
    logger: createLogger('error', { silent: true }),
  });
});

afterAll(async () => {
  await s3?.close();
  await h?.close();
});

/** Reads the body as bytes whatever its type (supertest parses only text and JSON by default). */
const bytes = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

describe.each<[string, () => ObjectStorage]>([
  ['local storage', () => h.storage],
  ['S3 storage (s3rver)', () => s3Storage],
])('GET /video/input/{job_id} on %s', (_name, storage) => {
  let jobId: string;
  const app = () => h.app({ storage: storage() });
  const get = (range?: string) => {
    const r = request(app()).get(`/video/input/${jobId}`).buffer(true).parse(bytes);
    return range ? r.set('Range', range) : r;
  };

  beforeAll(async () => {
    const job = await h.jobs.create(newJobFactory({ status: 'completed' }));
    jobId = job.job_id;
    await storage().put(job.input_path, Readable.from([video]));
  });

  it('sends the whole upload without a Range header, saying ranges are accepted', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(Number(res.headers['content-length'])).toBe(SIZE);
    expect(Buffer.compare(res.body, video)).toBe(0);
  });

  it('answers the first bytes with 206 and Content-Range', async () => {
    const res = await get('bytes=0-1023');
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 0-1023/${SIZE}`);
    expect(res.headers['content-length']).toBe('1024');
    expect(Buffer.compare(res.body, video.subarray(0, 1024))).toBe(0);
  });

  it('answers a range in the middle', async () => {
    const res = await get('bytes=100000-150000');
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 100000-150000/${SIZE}`);
    expect(Buffer.compare(res.body, video.subarray(100000, 150001))).toBe(0);
  });

  it('answers a suffix range with the last bytes, and an open range to the end', async () => {
    const suffix = await get('bytes=-500');
    expect(suffix.status).toBe(206);
    expect(suffix.headers['content-range']).toBe(`bytes ${SIZE - 500}-${SIZE - 1}/${SIZE}`);
    expect(Buffer.compare(suffix.body, video.subarray(SIZE - 500))).toBe(0);
    const open = await get(`bytes=${SIZE - 10}-`);
    expect(open.status).toBe(206);
    expect(Buffer.compare(open.body, video.subarray(SIZE - 10))).toBe(0);
  });

  it('clamps an end past the last byte', async () => {
    const res = await get(`bytes=${SIZE - 100}-${SIZE + 5000}`);
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${SIZE - 100}-${SIZE - 1}/${SIZE}`);
    expect(res.body).toHaveLength(100);
  });

  it('answers 416 with Content-Range bytes */size for a range past the end', async () => {
    const res = await request(app()).get(`/video/input/${jobId}`).set('Range', `bytes=${SIZE}-`);
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${SIZE}`);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/selects no byte/);
  });

  it('answers 404 "no longer stored" once the input is gone (retention), while the job remains', async () => {
    const job = await h.jobs.create(newJobFactory({ status: 'completed' }));
    const res = await request(app()).get(`/video/input/${job.job_id}`);
    expect(res.status).toBe(404);
    expect(res.body.detail).toMatch(/no longer stored/);
    expect((await request(app()).get(`/video/status/${job.job_id}`)).status).toBe(200);
  });
});

describe('GET /video/input/{job_id} with API keys', () => {
  it('serves the owner (X-API-Key or Bearer) and answers 404 to another key, 401 to none', async () => {
    const job = await h.jobs.create(newJobFactory({ status: 'completed', owner: hashApiKey('key-a') }));
    await h.storage.put(job.input_path, Readable.from([video.subarray(0, 2048)]));
    const app = h.app({ apiKeys: ['key-a', 'key-b'] });
    const url = `/video/input/${job.job_id}`;
    expect((await request(app).get(url).set('X-API-Key', 'key-a').set('Range', 'bytes=0-9')).status).toBe(206);
    expect((await request(app).get(url).set('Authorization', 'Bearer key-a')).status).toBe(200);
    expect((await request(app).get(url).set('X-API-Key', 'key-b')).status).toBe(404);
    expect((await request(app).get(url)).status).toBe(401);
  });

  it('answers 404 for an unknown or malformed id', async () => {
    expect((await request(h.app()).get('/video/input/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await request(h.app()).get('/video/input/not-an-id')).status).toBe(404);
  });
});
