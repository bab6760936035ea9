import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { freeSpaceCheck, LocalStorage, S3Storage, type ObjectStorage } from '@video-jobs/core';
import {
  DeviceFullStorage,
  mountSmallFilesystem,
  startS3rver,
  type SmallFilesystem,
} from '@video-jobs/core/test-support';
import { makeRandomFtypFile, makeTempDir, makeTestVideo } from '../../../packages/pipeline/src/test-support';
import { createApiHarness, type ApiHarness } from './api-harness';

const MiB = 1024 * 1024;

let h: ApiHarness;
let tmp: { dir: string; remove: () => Promise<void> };
let mp4: string;
let big: string;

beforeAll(async () => {
  h = await createApiHarness();
  tmp = await makeTempDir();
  mp4 = await makeTestVideo({ path: path.join(tmp.dir, 'clip.mp4'), frames: 3, width: 64, height: 48 });
  // Passes the MP4 signature check (ftyp at byte 4), and is larger than the small filesystem.
  big = await makeRandomFtypFile(path.join(tmp.dir, 'big.mp4'), 3 * MiB);
}, 60_000);

afterAll(async () => {
  await h?.close();
  await tmp?.remove();
});

/** The app over another storage; the harness's upload inspection reads its own storage, so it is off. */
function app(storage: ObjectStorage) {
  return h.app({ storage, inspectUpload: undefined });
}

async function jobCount(): Promise<number> {
  const counts = await h.jobs.countByStatus();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Every file under dir, temp files (`.name.hex.partial`) included. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => !e.isDirectory()).map((e) => path.join(e.parentPath, e.name));
}

function expectProblem(res: request.Response, status: number, detail: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: 'about:blank' });
  expect(res.body.detail).toMatch(detail);
}

describe('POST /video/submit on a full local disk', () => {
  let fs: SmallFilesystem;
  let storage: ObjectStorage;

  beforeAll(async () => {
    fs = await mountSmallFilesystem(2 * MiB);
    if (fs.mounted) {
      storage = new LocalStorage(fs.dir);
    } else {
      // Said aloud, so a run that could not mount is not mistaken for one that did.
      console.warn(
        `storage-errors.api.test: cannot mount a 2 MiB tmpfs (${fs.refused}); ` +
          'falling back to a storage that writes into /dev/full (the kernel ENOSPC, without a real small filesystem)',
      );
      storage = new DeviceFullStorage(fs.dir);
    }
  });
  afterAll(async () => fs?.close());

  it('answers 507 with a problem detail naming the full disk, and leaves no object, row or temp file', async () => {
    const freeBefore = await fs.freeBytes();
    const jobsBefore = await jobCount();

    const res = await request(app(storage)).post('/video/submit').attach('file', big);

    expectProblem(
      res,
      507,
      /^no space left on the storage device \(ENOSPC\) while writing video_jobs\/.+\.mp4; nothing was kept/,
    );
    expect(res.body.title).toBe('Insufficient Storage');
    expect(await filesUnder(fs.dir)).toEqual([]);
    expect(await storage.list('')).toEqual([]);
    expect(await jobCount()).toBe(jobsBefore);
    expect(await h.queue.size()).toBe(0);
    // The space the partial upload took is given back.
    expect(await fs.freeBytes()).toBe(freeBefore);
  });

  it('still takes an upload that fits, so the 507 was about space and not the request', async () => {
    if (!fs.mounted) return; // /dev/full refuses every write; nothing fits
    const res = await request(app(storage)).post('/video/submit').attach('file', mp4);
    expect(res.status).toBe(202);
    expect(await storage.list('')).toEqual([`video_jobs/${res.body.job_id}.mp4`]);
    expect(await h.queue.dequeue(100)).toBe(res.body.job_id);
    await storage.delete(`video_jobs/${res.body.job_id}.mp4`);
    await h.jobs.delete(res.body.job_id);
  });
});

describe('POST /video/submit while S3 is unavailable', () => {
  function s3At(endpoint: string, bucket = 'video-jobs'): S3Storage {
    return new S3Storage({
      bucket,
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  }

  it('answers 503 with Retry-After once s3rver has stopped (connection refused), with no row left', async () => {
    const s3 = await startS3rver();
    const storage = s3At(s3.endpoint, s3.bucket);
    const up = await request(app(storage)).post('/video/submit').attach('file', mp4);
    expect(up.status).toBe(202); // the same storage worked while the server ran
    await h.queue.dequeue(100);
    await s3.close();
    const jobsBefore = await jobCount();

    const res = await request(app(storage)).post('/video/submit').attach('file', mp4);

    expectProblem(
      res,
      503,
      /^S3 storage is unavailable \(ECONNREFUSED\) while writing video_jobs\/.+; nothing was kept/,
    );
    expect(res.headers['retry-after']).toBe('10');
    expect(await jobCount()).toBe(jobsBefore);
    expect(await h.queue.size()).toBe(0);
    await h.jobs.delete(up.body.job_id);
    storage.client.destroy();
  });

  it('answers 503 with Retry-After to a results read while S3 is down (nothing to keep, just retry)', async () => {
    const job = await h.jobs.create({
      job_id: '5a0c3f3e-6a8e-4d1a-9c61-3a1f0c2b7d11',
      status: 'pending',
      input_path: 'video_jobs/5a0c3f3e-6a8e-4d1a-9c61-3a1f0c2b7d11.mp4',
      pipeline_id: 'yolo',
      frame_stride: 1,
      max_frames: null,
      owner: null,
    });
    expect(await h.jobs.claim(job.job_id, 'w')).toBeDefined();
    expect(await h.jobs.complete(job.job_id, 'w', `video_jobs/${job.job_id}_results.json`)).toBe(true);
    const s3 = await startS3rver();
    const storage = s3At(s3.endpoint, s3.bucket);
    await s3.close();
    try {
      const res = await request(app(storage)).get(`/video/results/${job.job_id}`);
      expectProblem(
        res,
        503,
        /^S3 storage is unavailable \(ECONNREFUSED\) while reading video_jobs\/.+_results\.json; retry in 10 seconds$/,
      );
      expect(res.headers['retry-after']).toBe('10');
    } finally {
      storage.client.destroy();
      await h.jobs.delete(job.job_id);
    }
  });

  it('answers 503 with Retry-After when the S3 server answers 503 SlowDown', async () => {
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      req.resume();
      res
        .writeHead(503, { 'Content-Type': 'application/xml' })
        .end(
          '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>' +
            '<Message>Please reduce your request rate.</Message><RequestId>1</RequestId></Error>',
        );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const storage = s3At(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const jobsBefore = await jobCount();

      const res = await request(app(storage)).post('/video/submit').attach('file', mp4);

      expectProblem(
        res,
        503,
        /^S3 storage is unavailable \(SlowDown 503\) while writing video_jobs\/.+; nothing was kept/,
      );
      expect(res.headers['retry-after']).toBe('10');
      expect(requests).toBeGreaterThan(1); // the SDK retried before giving up
      expect(await jobCount()).toBe(jobsBefore);
      storage.client.destroy();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('GET /readyz with MIN_FREE_BYTES', () => {
  const freeSpace = (min: number) => freeSpaceCheck({ STORAGE: 'local', DATA_DIR: h.storageDir, MIN_FREE_BYTES: min });

  it('answers 503 naming the free space while local storage has less than MIN_FREE_BYTES free', async () => {
    const res = await request(h.app({ freeSpace: freeSpace(Number.MAX_SAFE_INTEGER) })).get('/readyz');
    expectProblem(
      res,
      503,
      /^not ready: free_space: local storage has [\d.]+ [KMGT]iB free, less than MIN_FREE_BYTES \(8192\.0 TiB\); free space or raise the volume$/,
    );
  });

  it('answers 200 with the free-space check listed while there is room', async () => {
    const res = await request(h.app({ freeSpace: freeSpace(1) })).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      checks: { database: 'ok', queue: 'ok', storage: 'ok', free_space: 'ok' },
    });
  });
});
