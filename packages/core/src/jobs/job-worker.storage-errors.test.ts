import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import {
  createTestDatabase,
  DeviceFullStorage,
  mountSmallFilesystem,
  newJobFactory,
  startS3rver,
  type SmallFilesystem,
  type TestDatabase,
} from '@video-jobs/core/test-support';
import { createLogger } from '../logger';
import { MemoryQueue } from '../queue/memory.queue';
import { LocalStorage } from '../storage/local.storage';
import { inputKey, resultsKey, type ObjectStorage } from '../storage/object-storage';
import { S3Storage } from '../storage/s3.storage';
import { KyselyJobRepository } from './kysely-job.repository';
import { JobWorker } from './job-worker';
import type { JobWorkerOptions } from './job-worker.options';
import type { FrameResult, VideoPipeline } from './video-pipeline';

const MiB = 1024 * 1024;

/** The worker's handling of storage errors is under test, not decoding: a pipeline of two frames. */
class TwoFramePipeline implements VideoPipeline {
  async *runOnFile(): AsyncGenerator<FrameResult> {
    yield { frame_index: 0, result: { timestamp_ms: 0, detections: [] } };
    yield { frame_index: 1, result: { timestamp_ms: 33.3, detections: [] } };
  }
  pipelineIds() {
    return ['yolo'];
  }
}

/** The worker's log, parsed: the lines are what an operator reads. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger('info', { stream }), lines };
}

const released = (lines: Array<Record<string, unknown>>) =>
  lines.filter((l) => String(l.message).startsWith('job released for a later attempt, not counted'));

let pg: TestDatabase;
let jobs: KyselyJobRepository;
let scratch: string;
let queue: MemoryQueue;

beforeAll(async () => {
  pg = await createTestDatabase();
  jobs = new KyselyJobRepository(pg.db);
}, 60_000);
afterAll(async () => pg?.destroy());
beforeEach(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'worker-storage-errors-'));
  queue = new MemoryQueue();
});
afterEach(async () => {
  await queue.close();
  await rm(scratch, { recursive: true, force: true });
});

function options(overrides: Partial<JobWorkerOptions> = {}): JobWorkerOptions {
  return {
    workerId: 'w1',
    concurrency: 1,
    heartbeatMs: 1_000,
    leaseMs: 60_000,
    reapIntervalMs: 60_000,
    requeueMs: 0,
    maxAttempts: 2,
    shutdownGraceMs: 5_000,
    stallMs: 60_000,
    dequeueTimeoutMs: 50,
    retentionMs: 0,
    inputRetentionMs: null,
    tmpDir: path.join(scratch, 'tmp'),
    storagePauseMs: 50,
    ...overrides,
  };
}

async function submit(storage: ObjectStorage, inputBytes: number): Promise<string> {
  const job = await jobs.create(newJobFactory({ pipeline_id: 'yolo' }));
  const body = Buffer.concat([Buffer.from('\0\0\0\x18ftypisom'), randomBytes(inputBytes)]);
  await storage.put(inputKey(job.job_id), Readable.from([body]));
  return job.job_id;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => !e.isDirectory()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe(`${JobWorker.name} on full or unreachable storage`, () => {
  let small: SmallFilesystem;
  beforeEach(async () => {
    small = await mountSmallFilesystem(1 * MiB);
    if (!small.mounted) {
      console.warn(
        `job-worker.storage-errors.test: cannot mount a 1 MiB tmpfs (${small.refused}); the full-disk ` +
          'cases fall back to a storage writing into /dev/full (the kernel ENOSPC), and the temp-dir case is skipped',
      );
    }
  });
  afterEach(async () => small?.close());

  it('releases the job, attempt not counted, when its temp copy fills the temp disk (ENOSPC), then completes it once there is room', async () => {
    if (!small.mounted) return; // only a real small filesystem can fill the temp dir
    const storage = new LocalStorage(path.join(scratch, 'objects'));
    const { logger, lines } = capturedLogger();
    const worker = new JobWorker(
      { jobs, queue, storage, pipeline: new TwoFramePipeline(), logger },
      options({ tmpDir: small.dir }),
    );
    const jobId = await submit(storage, 2 * MiB); // twice the temp filesystem
    try {
      // One attempt, awaited to its end (clean-up included), so nothing below races with it.
      expect(await worker.processJob(jobId)).toBe('released');
      expect(await jobs.get(jobId)).toMatchObject({ status: 'pending', attempts: 0, locked_by: null });
      expect(await queue.size()).toBe(0); // not pushed again at once: the requeue pass offers it
      expect(await filesUnder(small.dir)).toEqual([]); // the partial temp copy is gone
      const lineOf = released(lines);
      expect(lineOf).toHaveLength(1);
      expect(lineOf[0]).toMatchObject({ level: 'warn', job_id: jobId, transition: 'running->pending' });
      expect(lineOf[0].message).toMatch(
        /^job released for a later attempt, not counted: no space left on the storage device \(ENOSPC\) while writing the temp copy of video_jobs\/.+\.mp4$/,
      );

      // The operator makes room; the requeue pass offers the job again and the running loop completes it.
      await small.resize(8 * MiB);
      await worker.maintain();
      worker.start();
      await waitFor(async () => (await jobs.get(jobId))?.status === 'completed');
      expect(await jobs.get(jobId)).toMatchObject({ status: 'completed', attempts: 1 });
      // The row says completed before the attempt's clean-up has run: let the loop finish it.
      await worker.close();
      expect(await filesUnder(small.dir)).toEqual([]);
    } finally {
      await worker.close();
    }
  });

  it('releases the job, attempt not counted, when its results do not fit on a full storage disk (ENOSPC), then completes it once there is room', async () => {
    const root = small.dir;
    const seed = new LocalStorage(root);
    const jobId = await submit(seed, 16 * 1024);
    const filler = path.join(root, 'filler');
    let storage: ObjectStorage;
    if (small.mounted) {
      // Fill what is left: the write stops at the kernel's ENOSPC, keeping what fitted.
      await writeFile(filler, Buffer.alloc(2 * MiB)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOSPC') throw err;
      });
      storage = seed;
    } else {
      storage = new DeviceFullStorage(root);
    }
    const { logger, lines } = capturedLogger();
    const worker = new JobWorker({ jobs, queue, storage, pipeline: new TwoFramePipeline(), logger }, options());

    expect(await worker.processJob(jobId)).toBe('released');
    expect(await jobs.get(jobId)).toMatchObject({ status: 'pending', attempts: 0, locked_by: null, output_path: null });
    expect(await queue.size()).toBe(0);
    // Nothing but the input (and the filler): no results object, no temp file beside it.
    expect((await filesUnder(root)).filter((f) => f !== 'filler')).toEqual([inputKey(jobId)]);
    expect(await filesUnder(path.join(scratch, 'tmp'))).toEqual([]);
    expect(released(lines)).toHaveLength(1);
    expect(released(lines)[0].message).toMatch(
      /not counted: no space left on the storage device \(ENOSPC\) while writing video_jobs\/.+_results\.json$/,
    );

    await rm(filler, { force: true });
    const healthy = new JobWorker(
      { jobs, queue, storage: seed, pipeline: new TwoFramePipeline(), logger },
      options({ workerId: 'w2' }),
    );
    expect(await healthy.processJob(jobId)).toBe('completed');
    expect(await seed.exists(resultsKey(jobId))).toBe(true);
    expect(await jobs.get(jobId)).toMatchObject({ status: 'completed', attempts: 1 });
  });

  it('releases the job, attempt not counted, as often as S3 is unreachable, so an outage never fails it', async () => {
    const s3 = await startS3rver();
    const storage = new S3Storage({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      credentials: s3.credentials,
    });
    const { logger, lines } = capturedLogger();
    const worker = new JobWorker(
      { jobs, queue, storage, pipeline: new TwoFramePipeline(), logger },
      options({ maxAttempts: 2 }),
    );
    try {
      const jobId = await submit(storage, 1024);
      await s3.close();
      // Three tries against MAX_ATTEMPTS 2: none of them counts, so the job is still pending.
      for (let i = 0; i < 3; i++) expect(await worker.processJob(jobId)).toBe('released');
      expect(await jobs.get(jobId)).toMatchObject({ status: 'pending', attempts: 0, locked_by: null });
      expect(await queue.deadSize()).toBe(0);
      expect(released(lines).map((l) => l.message)).toEqual(
        Array(3).fill(
          `job released for a later attempt, not counted: S3 storage is unavailable (ECONNREFUSED) while reading ${inputKey(jobId)}`,
        ),
      );
    } finally {
      storage.client.destroy();
      await s3.close();
    }
  });
});
