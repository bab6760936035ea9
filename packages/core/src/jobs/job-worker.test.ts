import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { createTestPglite, newJobFactory } from '@video-jobs/core/test-support';
import type { Database } from '../db/database';
import { UnsupportedMediaError } from '../errors';
import { createLogger } from '../logger';
import { MemoryQueue } from '../queue/memory.queue';
import { LocalStorage } from '../storage/local.storage';
import { createJobMetrics } from '../metrics/job-metrics';
import { inputKey, resultsIndexKey, resultsKey } from '../storage/object-storage';
import { KyselyJobRepository } from './kysely-job.repository';
import { JobWorker, type JobFinishedEvent } from './job-worker';
import type { JobWorkerOptions } from './job-worker.options';
import type { FrameResult, PipelineParams, VideoPipeline } from './video-pipeline';

/** A pipeline fake: the worker's logic is under test here, not decoding (that has its own tests). */
class ScriptedPipeline implements VideoPipeline {
  calls: Array<{ path: string; params: PipelineParams }> = [];
  constructor(private readonly behave: (signal?: AbortSignal) => AsyncIterable<FrameResult>) {}
  runOnFile(file: string, params: PipelineParams, signal?: AbortSignal) {
    this.calls.push({ path: file, params });
    return this.behave(signal);
  }
  pipelineIds() {
    return ['yolo'];
  }
}

const FRAMES: FrameResult[] = [
  { frame_index: 0, result: { timestamp_ms: 0, detections: [] } },
  {
    frame_index: 7,
    result: { timestamp_ms: 233.3, detections: [{ label: 'dog', class_id: 16, confidence: 0.5, box: [1, 2, 3, 4] }] },
  },
];

async function* frames(list = FRAMES) {
  for (const f of list) yield f;
}

/** Yields nothing until aborted (or forever): a job that is still running. */
async function* hang(signal?: AbortSignal): AsyncGenerator<FrameResult> {
  await new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
}

let pg: { db: Kysely<Database>; destroy(): Promise<void> };
let jobs: KyselyJobRepository;
let storageDir: string;
let storage: LocalStorage;
let queue: MemoryQueue;
const logger = createLogger('error', { silent: true });

beforeAll(async () => {
  pg = await createTestPglite();
  jobs = new KyselyJobRepository(pg.db);
}, 60_000);
afterAll(async () => pg?.destroy());

beforeEach(async () => {
  storageDir = await mkdtemp(path.join(os.tmpdir(), 'job-worker-'));
  storage = new LocalStorage(path.join(storageDir, 'objects'));
  queue = new MemoryQueue();
});
afterEach(async () => {
  await queue.close();
  await rm(storageDir, { recursive: true, force: true });
});

function options(overrides: Partial<JobWorkerOptions> = {}): JobWorkerOptions {
  return {
    workerId: 'w1',
    concurrency: 1,
    heartbeatMs: 20,
    leaseMs: 60_000,
    reapIntervalMs: 60_000,
    requeueMs: 60_000,
    maxAttempts: 3,
    shutdownGraceMs: 5_000,
    stallMs: 60_000,
    dequeueTimeoutMs: 50,
    retentionMs: 0,
    inputRetentionMs: null,
    tmpDir: path.join(storageDir, 'tmp'),
    ...overrides,
  };
}

async function submit(overrides = {}): Promise<string> {
  const job = await jobs.create(newJobFactory({ pipeline_id: 'yolo', frame_stride: 7, max_frames: 2, ...overrides }));
  await storage.put(inputKey(job.job_id), Readable.from([Buffer.from('....ftyp video bytes')]));
  return job.job_id;
}

async function text(key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of await storage.get(key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

async function drain(): Promise<string[]> {
  const ids: string[] = [];
  for (let id = await queue.dequeue(10); id; id = await queue.dequeue(10)) ids.push(id);
  return ids;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe(JobWorker.name, () => {
  it('runs a job to completed with the results stored as the frame array and the temp file removed', async () => {
    const pipeline = new ScriptedPipeline(() => frames());
    const finished: JobFinishedEvent[] = [];
    const worker = new JobWorker(
      { jobs, queue, storage, pipeline, logger, onJobFinished: (e) => finished.push(e) },
      options(),
    );
    const jobId = await submit();

    expect(await worker.processJob(jobId)).toBe('completed');

    const job = await jobs.get(jobId);
    expect(job).toMatchObject({ status: 'completed', output_path: resultsKey(jobId), attempts: 1 });
    expect(JSON.parse(await text(resultsKey(jobId)))).toEqual(FRAMES);
    expect(pipeline.calls[0].params).toEqual({ pipelineId: 'yolo', frameStride: 7, maxFrames: 2 });
    expect(await readdir(options().tmpDir)).toEqual([]);
    expect(finished).toEqual([expect.objectContaining({ jobId, pipelineId: 'yolo', status: 'completed' })]);
  });

  it('fails a bad video at once with its message and does not retry it', async () => {
    const pipeline = new ScriptedPipeline(async function* () {
      throw new UnsupportedMediaError('file is truncated: moov atom not found');
    });
    const worker = new JobWorker({ jobs, queue, storage, pipeline, logger }, options());
    const jobId = await submit();

    expect(await worker.processJob(jobId)).toBe('failed');
    expect(await jobs.get(jobId)).toMatchObject({
      status: 'failed',
      error_message: 'file is truncated: moov atom not found',
      attempts: 1,
    });
    expect(await queue.size()).toBe(0);
    expect(await storage.exists(resultsKey(jobId))).toBe(false);
  });

  it('fails a job whose input is missing from storage', async () => {
    const worker = new JobWorker(
      { jobs, queue, storage, pipeline: new ScriptedPipeline(() => frames()), logger },
      options(),
    );
    const job = await jobs.create(newJobFactory({ pipeline_id: 'yolo' }));
    expect(await worker.processJob(job.job_id)).toBe('failed');
    expect((await jobs.get(job.job_id))!.error_message).toMatch(/input video is missing/);
  });

  it('releases and re-enqueues after an unexpected error, then fails to the dead list at MAX_ATTEMPTS', async () => {
    const pipeline = new ScriptedPipeline(async function* () {
      throw new Error('onnxruntime exploded');
    });
    const worker = new JobWorker({ jobs, queue, storage, pipeline, logger }, options({ maxAttempts: 2 }));
    const jobId = await submit();

    expect(await worker.processJob(jobId)).toBe('released');
    expect(await jobs.get(jobId)).toMatchObject({ status: 'pending', attempts: 1, locked_by: null });
    expect(await queue.dequeue(10)).toBe(jobId);

    expect(await worker.processJob(jobId)).toBe('failed');
    expect(await jobs.get(jobId)).toMatchObject({
      status: 'failed',
      attempts: 2,
      error_message: 'failed after 2 attempts: onnxruntime exploded',
    });
    expect(await queue.deadSize()).toBe(1);
    expect(await queue.size()).toBe(0);
  });

  it('releases the job for retry, with no results object left, when its results cannot be written', async () => {
    // The storage fails the results write halfway with an error it does not name, as a failing
    // disk (EIO) would; a full or unreachable storage has its own handling (job-worker.storage-errors.test.ts).
    const failing = Object.create(storage) as LocalStorage;
    failing.put = async (key, body) => {
      if (key !== resultsKey(jobId)) return storage.put(key, body);
      for await (const _ of body) break;
      throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
    };
    const worker = new JobWorker(
      { jobs, queue, storage: failing, pipeline: new ScriptedPipeline(() => frames()), logger },
      options(),
    );
    const jobId = await submit();

    expect(await worker.processJob(jobId)).toBe('released');
    expect(await jobs.get(jobId)).toMatchObject({ status: 'pending', attempts: 1, output_path: null, locked_by: null });
    expect(await storage.exists(resultsKey(jobId))).toBe(false);
    expect(await queue.dequeue(10)).toBe(jobId);
    expect(await readdir(path.join(storageDir, 'tmp'))).toEqual([]);

    // Once storage is back, the retry completes the job.
    const healthy = new JobWorker(
      { jobs, queue, storage, pipeline: new ScriptedPipeline(() => frames()), logger },
      options(),
    );
    expect(await healthy.processJob(jobId)).toBe('completed');
    expect(JSON.parse(await text(resultsKey(jobId)))).toEqual(FRAMES);
  });

  it('skips an id that is no longer pending (a duplicate delivery)', async () => {
    const pipeline = new ScriptedPipeline(() => frames());
    const worker = new JobWorker({ jobs, queue, storage, pipeline, logger }, options());
    const jobId = await submit();
    expect(await worker.processJob(jobId)).toBe('completed');
    expect(await worker.processJob(jobId)).toBe('skipped');
    expect(pipeline.calls).toHaveLength(1);
  });

  it('stops without writing when its lease is taken by another worker', async () => {
    const worker = new JobWorker({ jobs, queue, storage, pipeline: new ScriptedPipeline(hang), logger }, options());
    const jobId = await submit();
    const outcome = worker.processJob(jobId);
    await waitFor(async () => (await jobs.get(jobId))!.status === 'running');
    // Another worker's reaper took the job back and a second worker claimed it.
    await pg.db
      .updateTable('jobs')
      .set({ updated_at: sql<Date>`now() - interval '1 hour'` })
      .where('job_id', '=', jobId)
      .execute();
    await jobs.reapExpired(1_000, 3);
    await jobs.claim(jobId, 'w2');

    expect(await outcome).toBe('lease-lost');
    expect(await jobs.get(jobId)).toMatchObject({ status: 'running', locked_by: 'w2' });
  });

  it('keeps the lease fresh with heartbeats while a job runs', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const pipeline = new ScriptedPipeline(async function* () {
      await gate;
      yield* frames();
    });
    const worker = new JobWorker({ jobs, queue, storage, pipeline, logger }, options({ heartbeatMs: 20 }));
    const jobId = await submit();
    const outcome = worker.processJob(jobId);
    await waitFor(async () => (await jobs.get(jobId))!.status === 'running');
    const first = (await jobs.get(jobId))!.updated_at.getTime();
    await waitFor(async () => (await jobs.get(jobId))!.updated_at.getTime() > first);
    release();
    expect(await outcome).toBe('completed');
  });

  describe('progress watchdog', () => {
    /** Frame 0, then frame 7, then nothing until aborted: a decoder wedged after two frames. */
    const stallAfterTwo = (signal?: AbortSignal) =>
      (async function* () {
        yield* frames();
        yield* hang(signal);
      })();

    it('aborts an attempt with no frame for STALL_MS, releases it for retry, then fails and dead-lists it at MAX_ATTEMPTS', async () => {
      const worker = new JobWorker(
        { jobs, queue, storage, pipeline: new ScriptedPipeline(stallAfterTwo), logger },
        options({ stallMs: 200, maxAttempts: 2 }),
      );
      const jobId = await submit();

      const started = Date.now();
      expect(await worker.processJob(jobId)).toBe('released');
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
      expect(await jobs.get(jobId)).toMatchObject({ status: 'pending', attempts: 1, locked_by: null });
      expect(await queue.dequeue(10)).toBe(jobId);

      expect(await worker.processJob(jobId)).toBe('failed');
      const job = await jobs.get(jobId);
      expect(job).toMatchObject({ status: 'failed', attempts: 2 });
      expect(job!.error_message).toMatch(/^failed after 2 attempts: no progress for 0\.[2-9] s at frame 14$/);
      expect(await queue.deadSize()).toBe(1);
      expect(await storage.exists(resultsKey(jobId))).toBe(false);
      expect(await readdir(options().tmpDir)).toEqual([]);
    });

    it('stops renewing the lease of a stalled job, even while its pipeline ignores the abort', async () => {
      let finish!: () => void;
      const ignoring = new ScriptedPipeline(async function* () {
        // Deaf to the signal (say, stuck in native code) until the test lets it go.
        await new Promise<void>((r) => (finish = r));
        throw new Error('woke up');
      });
      const worker = new JobWorker(
        { jobs, queue, storage, pipeline: ignoring, logger },
        options({ stallMs: 100, heartbeatMs: 20 }),
      );
      const jobId = await submit();
      const outcome = worker.processJob(jobId);
      await new Promise((r) => setTimeout(r, 250));
      const afterStall = (await jobs.get(jobId))!.updated_at.getTime();
      await new Promise((r) => setTimeout(r, 200));
      expect((await jobs.get(jobId))!.updated_at.getTime()).toBe(afterStall);
      finish();
      expect(await outcome).toBe('released');
      expect(await jobs.get(jobId)).toMatchObject({ status: 'pending', attempts: 1 });
    });

    it('covers a download from storage that stops sending bytes', async () => {
      const stuck = Object.create(storage) as LocalStorage;
      stuck.get = async () => new Readable({ read() {} });
      const pipeline = new ScriptedPipeline(() => frames());
      const worker = new JobWorker(
        { jobs, queue, storage: stuck, pipeline, logger },
        options({ stallMs: 150, maxAttempts: 1 }),
      );
      const jobId = await submit();

      expect(await worker.processJob(jobId)).toBe('failed');
      expect((await jobs.get(jobId))!.error_message).toMatch(
        /^failed after 1 attempts: no progress for 0\.\d s while downloading the input$/,
      );
      expect(pipeline.calls).toHaveLength(0);
      expect(await readdir(options().tmpDir)).toEqual([]);
    });

    it('leaves a slow job alone while frames keep coming', async () => {
      const slow = new ScriptedPipeline(async function* () {
        for (let i = 0; i < 6; i++) {
          await new Promise((r) => setTimeout(r, 60));
          yield { frame_index: i, result: { timestamp_ms: i, detections: [] } };
        }
      });
      const worker = new JobWorker({ jobs, queue, storage, pipeline: slow, logger }, options({ stallMs: 150 }));
      expect(await worker.processJob(await submit())).toBe('completed');
    });
  });

  it('takes jobs from the queue, runs `concurrency` at once, and lets running ones finish on close', async () => {
    let running = 0;
    let peak = 0;
    const pipeline = new ScriptedPipeline(async function* () {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 100));
      running--;
      yield* frames();
    });
    const worker = new JobWorker({ jobs, queue, storage, pipeline, logger }, options({ concurrency: 2 }));
    const ids = [await submit(), await submit(), await submit()];
    for (const id of ids) await queue.enqueue(id);
    worker.start();
    await waitFor(async () => (await jobs.countByStatus()).running > 0);
    await worker.close();
    await worker.close();
    const statuses = await Promise.all(ids.map(async (id) => (await jobs.get(id))!.status));
    expect(statuses.filter((s) => s === 'completed').length).toBeGreaterThanOrEqual(2);
    expect(statuses.every((s) => s === 'completed' || s === 'pending')).toBe(true);
    expect(peak).toBe(2);
  });

  it('puts a running job back to pending and re-enqueues it when the shutdown grace runs out', async () => {
    const worker = new JobWorker(
      { jobs, queue, storage, pipeline: new ScriptedPipeline(hang), logger },
      options({ shutdownGraceMs: 50 }),
    );
    const jobId = await submit();
    await queue.enqueue(jobId);
    worker.start();
    await waitFor(async () => (await jobs.get(jobId))!.status === 'running');
    await worker.close();
    expect(await jobs.get(jobId)).toMatchObject({ status: 'pending', locked_by: null, attempts: 1 });
    expect(await queue.dequeue(10)).toBe(jobId);
    expect(await storage.exists(resultsKey(jobId))).toBe(false);
  });

  it('maintain() requeues expired leases and stale pending jobs, and fails jobs out of attempts', async () => {
    const worker = new JobWorker(
      { jobs, queue, storage, pipeline: new ScriptedPipeline(() => frames()), logger },
      options({ requeueMs: 1_000, leaseMs: 1_000 }),
    );
    const expired = await submit();
    await jobs.claim(expired, 'dead-worker');
    const exhausted = await submit();
    await pg.db.updateTable('jobs').set({ attempts: 2 }).where('job_id', '=', exhausted).execute();
    await jobs.claim(exhausted, 'dead-worker');
    const stale = await submit();
    await pg.db
      .updateTable('jobs')
      .set({ updated_at: sql<Date>`now() - interval '1 hour'` })
      .where('job_id', 'in', [expired, exhausted, stale])
      .execute();

    await worker.maintain();

    expect(await jobs.get(expired)).toMatchObject({ status: 'pending' });
    expect(await jobs.get(exhausted)).toMatchObject({ status: 'failed', error_message: 'worker lost the job 3 times' });
    const queued = await drain();
    expect(queued).toEqual(expect.arrayContaining([expired, stale]));
    expect(queued).not.toContain(exhausted);
    expect(await queue.deadSize()).toBe(1);
  });

  it('deletes expired finished jobs and inputs from its maintenance timer, and counts them in its metrics', async () => {
    const registry = new Registry();
    const metrics = createJobMetrics({ jobs, queue }, registry);
    const worker = new JobWorker(
      {
        jobs,
        queue,
        storage,
        pipeline: new ScriptedPipeline(() => frames()),
        logger,
        onRetention: metrics.retentionDone,
      },
      options({ reapIntervalMs: 50, retentionMs: 3600_000, inputRetentionMs: 0 }),
    );
    const old = await submit();
    const recent = await submit();
    expect(await worker.processJob(old)).toBe('completed');
    expect(await worker.processJob(recent)).toBe('completed');
    const pending = await submit();
    await pg.db
      .updateTable('jobs')
      .set({ updated_at: sql<Date>`now() - interval '2 hours'` })
      .where('job_id', '=', old)
      .execute();

    worker.start();
    await waitFor(async () => (await jobs.get(old)) === undefined && !!(await jobs.get(recent))?.input_deleted_at);
    await worker.close();

    for (const key of [inputKey(old), resultsKey(old), resultsIndexKey(old), inputKey(recent)]) {
      expect(await storage.exists(key)).toBe(false);
    }
    expect(await storage.exists(resultsKey(recent))).toBe(true);
    expect(await storage.exists(resultsIndexKey(recent))).toBe(true);
    expect(await jobs.get(pending)).toMatchObject({ status: 'pending', input_deleted_at: null });
    expect(await storage.exists(inputKey(pending))).toBe(true);
    const scraped = await registry.metrics();
    expect(scraped).toContain('video_jobs_retention_deleted_total{kind="job"} 1');
    expect(scraped).toContain('video_jobs_retention_deleted_total{kind="input"} 1');
  });

  it('recoverAfterRestart() requeues what a dead embedded process left running or pending', async () => {
    const worker = new JobWorker(
      { jobs, queue, storage, pipeline: new ScriptedPipeline(() => frames()), logger },
      options(),
    );
    const wasRunning = await submit();
    await jobs.claim(wasRunning, 'previous-process');
    const wasPending = await submit();

    await worker.recoverAfterRestart();

    expect(await jobs.get(wasRunning)).toMatchObject({ status: 'pending' });
    const queued = await drain();
    expect(queued).toEqual(expect.arrayContaining([wasRunning, wasPending]));
  });
});
