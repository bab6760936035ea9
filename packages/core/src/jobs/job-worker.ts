import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'winston';
import { NotFoundError, StorageError, UnsupportedMediaError } from '../errors';
import type { JobQueue } from '../queue/job-queue';
import { resultsIndexKey, resultsKey, type ObjectStorage } from '../storage/object-storage';
import { transferError } from '../storage/storage-errors';
import { writeFileFrom } from '../storage/write-file';
import type { JobRepository } from './job.repository';
import type { JobRow } from './job.table';
import type { JobWorkerOptions } from './job-worker.options';
import { requeueMissing } from './pending-requeue';
import { expireFinishedJobs, type RetentionResult } from './retention';
import { ResultsIndexBuilder } from './results-index';
import { resultsJsonStream } from './results-json';
import { ProgressWatchdog, StallError } from './progress-watchdog';
import type { FrameResult, VideoPipeline } from './video-pipeline';

export interface JobWorkerDeps {
  jobs: JobRepository;
  queue: JobQueue;
  storage: ObjectStorage;
  pipeline: VideoPipeline;
  logger: Logger;
  /** Told about every finished job (metrics). */
  onJobFinished?: (event: JobFinishedEvent) => void;
  /** Told what each retention pass deleted (metrics). */
  onRetention?: (result: RetentionResult) => void;
}

export interface JobFinishedEvent {
  jobId: string;
  pipelineId: string;
  status: 'completed' | 'failed';
  durationMs: number;
}

/** What became of a job this worker dequeued. Expected outcomes are values, not exceptions. */
export type JobOutcome = 'completed' | 'failed' | 'released' | 'lease-lost' | 'skipped';

/** Why a running job was aborted: its lease went elsewhere, shutdown, or no progress (StallError). */
type StopReason = 'lease-lost' | 'shutdown' | StallError;

/**
 * The worker loop of DESIGN §4: dequeue → claim → download → run the pipeline → store results →
 * complete, with a heartbeat while running, and the reaper and stale-pending requeue on a timer.
 * The database decides who owns a job; the queue only says "look at this one".
 */
export class JobWorker {
  private readonly running = new Map<string, AbortController>();
  private readonly loops: Promise<void>[] = [];
  private readonly stopping = new AbortController();
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintenanceRun: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Set when a job was released for a storage error: no slot takes another job before then. */
  private pausedUntil = 0;

  constructor(
    private readonly deps: JobWorkerDeps,
    private readonly options: JobWorkerOptions,
  ) {}

  get workerId(): string {
    return this.options.workerId;
  }

  /** Starts `concurrency` job loops and the maintenance timer. */
  start(): void {
    if (this.loops.length > 0) throw new Error('JobWorker already started');
    for (let slot = 0; slot < this.options.concurrency; slot++) this.loops.push(this.loop());
    this.scheduleMaintenance(0);
  }

  /** Jobs being processed right now. */
  get activeJobs(): number {
    return this.running.size;
  }

  /**
   * Stops taking jobs, lets the running ones finish within shutdownGraceMs, then puts the rest
   * back to pending and re-enqueues them. Safe to call more than once.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /**
   * One maintenance pass: expired leases go back to pending (or failed + dead list), pending
   * jobs missing from the queue are enqueued again (pending-requeue.ts), and finished jobs past
   * their retention are deleted (retention.ts). Every worker runs it; each step is safe when
   * several run at once.
   */
  async maintain(): Promise<void> {
    const { jobs, queue, logger } = this.deps;
    const reaped = await jobs.reapExpired(this.options.leaseMs, this.options.maxAttempts);
    for (const jobId of reaped.requeued) {
      logger.warn('job lease expired, requeued', { job_id: jobId, transition: 'running->pending' });
      await queue.enqueue(jobId);
    }
    for (const jobId of reaped.failed) {
      logger.error('job lease expired too often, failed', { job_id: jobId, transition: 'running->failed' });
      await queue.pushDead(jobId);
    }
    await requeueMissing(this.deps, this.options.requeueMs);
    const expired = await expireFinishedJobs(this.deps, {
      retentionMs: this.options.retentionMs,
      inputRetentionMs: this.options.inputRetentionMs,
      // A pass that holds a claim this long has died: the same notion as a running job's lease.
      claimMs: this.options.leaseMs,
    });
    this.deps.onRetention?.(expired);
  }

  /**
   * For a worker that owns its database alone (the embedded default): jobs left running by the
   * previous process can have no live owner, so they go back to pending at once, and every
   * pending job is enqueued again because the in-memory queue died with that process.
   */
  async recoverAfterRestart(): Promise<void> {
    const { jobs, queue, logger } = this.deps;
    const reaped = await jobs.reapExpired(0, this.options.maxAttempts);
    for (const jobId of reaped.failed) await queue.pushDead(jobId);
    const pending = await jobs.listPending();
    for (const jobId of pending) await queue.enqueue(jobId);
    logger.info('recovered jobs after restart', {
      requeued_running: reaped.requeued.length,
      failed_running: reaped.failed.length,
      pending: pending.length,
    });
  }

  /** Claims and runs one job by id; used by the loop and directly by tests. */
  async processJob(jobId: string): Promise<JobOutcome> {
    const { jobs, logger } = this.deps;
    const job = await jobs.claim(jobId, this.options.workerId);
    if (!job) return 'skipped';
    const started = Date.now();
    const log = logger.child({ job_id: job.job_id, pipeline: job.pipeline_id, attempts: job.attempts });
    log.info('job claimed', { transition: 'pending->running', worker: this.options.workerId });

    const controller = new AbortController();
    this.running.set(jobId, controller);
    // Aborting stops the heartbeat too (it skips once the signal is aborted), so a stalled job's
    // lease runs out even if something below ignores the abort.
    const watchdog = new ProgressWatchdog(this.options.stallMs, (stall) => {
      log.warn('job made no progress; aborting the attempt', { error: stall.message });
      controller.abort(stall);
    });
    const heartbeat = this.startHeartbeat(job, controller, log);
    const tmpFile = path.join(this.options.tmpDir, `${jobId}-${randomUUID()}.mp4`);
    try {
      const outcome = await this.run(job, tmpFile, controller.signal, watchdog, log);
      const durationMs = Date.now() - started;
      if (outcome === 'completed' || outcome === 'failed') {
        this.deps.onJobFinished?.({ jobId, pipelineId: job.pipeline_id, status: outcome, durationMs });
      }
      log.info(`job ${outcome}`, { duration_ms: durationMs });
      return outcome;
    } finally {
      watchdog.stop();
      clearInterval(heartbeat);
      this.running.delete(jobId);
      await rm(tmpFile, { force: true });
    }
  }

  private async run(
    job: JobRow,
    tmpFile: string,
    signal: AbortSignal,
    watchdog: ProgressWatchdog,
    log: Logger,
  ): Promise<JobOutcome> {
    const { jobs, storage, pipeline } = this.deps;
    const workerId = this.options.workerId;
    try {
      const copy = `the temp copy of ${job.input_path}`;
      // A full temp dir (ENOSPC, EDQUOT) or an S3 connection lost mid-download gets its name here:
      // StorageFullError / StorageUnavailableError, released below without counting the attempt.
      await mkdir(this.options.tmpDir, { recursive: true }).catch((err: unknown) => {
        throw transferError(err, copy);
      });
      // storage.get takes no signal: a request that never answers must still yield to the abort.
      const input = await untilAborted(storage.get(job.input_path), signal, (late) => late.destroy());
      input.on('data', () => watchdog.touch());
      await writeFileFrom(input, tmpFile, { signal }).catch((err: unknown) => {
        throw transferError(err, copy);
      });
      watchdog.touch('at frame 0');
      const frames = watchProgress(
        pipeline.runOnFile(
          tmpFile,
          { pipelineId: job.pipeline_id, frameStride: job.frame_stride, maxFrames: job.max_frames },
          signal,
        ),
        watchdog,
        job.frame_stride,
      );
      const key = resultsKey(job.job_id);
      const index = new ResultsIndexBuilder();
      await storage.put(key, resultsJsonStream(frames, index));
      // The index is written before completing, so every completed job has one (paged results).
      await storage.put(resultsIndexKey(job.job_id), Readable.from([index.toBuffer()]));
      if (signal.aborted) return this.afterStop(job, signal.reason as StopReason, log);
      // Results are deterministic, so a worker that lost its lease and still wrote them wrote the
      // same bytes the new owner will; only the database decides who completes.
      if (await jobs.complete(job.job_id, workerId, key)) return 'completed';
      log.warn('lease lost before completing; results left to the new owner');
      return 'lease-lost';
    } catch (err) {
      if (signal.aborted) return this.afterStop(job, signal.reason as StopReason, log);
      return this.afterError(job, err, log);
    }
  }

  private async afterStop(job: JobRow, reason: StopReason, log: Logger): Promise<JobOutcome> {
    // A stall is a failed attempt: retried until MAX_ATTEMPTS, then failed and dead-listed.
    if (reason instanceof StallError) return this.afterError(job, reason, log);
    if (reason === 'lease-lost') {
      log.warn('lease lost while running; stopped without writing');
      return 'lease-lost';
    }
    if (await this.deps.jobs.release(job.job_id, this.options.workerId)) {
      log.info('job released at shutdown', { transition: 'running->pending' });
      await this.deps.queue.enqueue(job.job_id);
      return 'released';
    }
    return 'lease-lost';
  }

  private async afterError(job: JobRow, err: unknown, log: Logger): Promise<JobOutcome> {
    if (err instanceof StorageError) return this.afterStorageError(job, err, log);
    const { jobs, queue } = this.deps;
    const workerId = this.options.workerId;
    const final = finalFailureMessage(err);
    if (final !== undefined) {
      log.info('job failed', { transition: 'running->failed', error_message: final });
      return (await jobs.fail(job.job_id, workerId, final)) ? 'failed' : 'lease-lost';
    }
    log.error('job attempt failed unexpectedly', { error: errorText(err) });
    if (job.attempts >= this.options.maxAttempts) {
      const message = `failed after ${job.attempts} attempts: ${errorText(err)}`;
      if (!(await jobs.fail(job.job_id, workerId, message))) return 'lease-lost';
      await queue.pushDead(job.job_id);
      log.info('job failed', { transition: 'running->failed', error_message: message });
      return 'failed';
    }
    if (!(await jobs.release(job.job_id, workerId))) return 'lease-lost';
    log.info('job released for retry', { transition: 'running->pending' });
    await queue.enqueue(job.job_id);
    return 'released';
  }

  /**
   * Storage full or unreachable: not the video's fault, and another attempt at once would meet the
   * same storage. The job goes back to pending with its attempt given back (it never nears
   * MAX_ATTEMPTS for this), is not pushed again (the requeue pass offers it once it has been
   * pending for REQUEUE_MS), and this worker waits storagePauseMs before taking another job: a
   * full disk costs one attempt per job per REQUEUE_MS, not a busy loop.
   */
  private async afterStorageError(job: JobRow, err: StorageError, log: Logger): Promise<JobOutcome> {
    if (!(await this.deps.jobs.release(job.job_id, this.options.workerId, { refundAttempt: true }))) {
      return 'lease-lost';
    }
    this.pausedUntil = Date.now() + (this.options.storagePauseMs ?? DEFAULT_STORAGE_PAUSE_MS);
    log.warn(`job released for a later attempt, not counted: ${err.message}`, {
      transition: 'running->pending',
      reason: err.name,
    });
    return 'released';
  }

  private startHeartbeat(job: JobRow, controller: AbortController, log: Logger): NodeJS.Timeout {
    let beating = false;
    return setInterval(() => {
      if (beating || controller.signal.aborted) return;
      beating = true;
      this.deps.jobs
        .heartbeat(job.job_id, this.options.workerId)
        .then((held) => {
          if (!held) controller.abort('lease-lost');
        })
        // A database blip is not a lost lease: the next beat tries again, and if the outage
        // outlasts the lease another worker's reaper takes the job back.
        .catch((err) => log.warn('heartbeat failed', { error: errorText(err) }))
        .finally(() => {
          beating = false;
        });
    }, this.options.heartbeatMs);
  }

  private async loop(): Promise<void> {
    const { queue, logger } = this.deps;
    while (!this.stopping.signal.aborted) {
      try {
        const pause = this.pausedUntil - Date.now();
        if (pause > 0) await sleep(pause, undefined, { signal: this.stopping.signal }).catch(() => undefined);
        if (this.stopping.signal.aborted) break;
        const jobId = await queue.dequeue(this.options.dequeueTimeoutMs);
        if (jobId === null || this.stopping.signal.aborted) {
          // Shutdown raced the dequeue: the id stays pending in the database and is put back.
          if (jobId !== null) await queue.enqueue(jobId);
          continue;
        }
        await this.processJob(jobId);
      } catch (err) {
        // Queue or database unreachable: wait and try again; the requeue timer re-finds any
        // pending id this loop dropped.
        logger.error('worker loop error', { error: errorText(err), worker: this.options.workerId });
        await sleep(1_000, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  private scheduleMaintenance(delayMs: number): void {
    if (this.stopping.signal.aborted) return;
    this.maintenanceTimer = setTimeout(() => {
      this.maintenanceRun = this.maintain()
        .catch((err) => {
          this.deps.logger.error('maintenance failed', { error: errorText(err) });
        })
        .finally(() => this.scheduleMaintenance(this.options.reapIntervalMs));
    }, delayMs);
  }

  private async shutdown(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.maintenanceTimer);
    const loopsDone = Promise.allSettled(this.loops);
    const graceTimer = new AbortController();
    const graceOver = sleep(this.options.shutdownGraceMs, 'grace-over' as const, { signal: graceTimer.signal }).catch(
      () => undefined,
    );
    const first = await Promise.race([loopsDone, graceOver]);
    graceTimer.abort();
    if (first === 'grace-over') {
      this.deps.logger.warn('shutdown grace over; releasing running jobs', { jobs: [...this.running.keys()] });
      for (const controller of this.running.values()) controller.abort('shutdown');
    }
    await loopsDone;
    await this.maintenanceRun;
    clearTimeout(this.maintenanceTimer);
  }
}

/** How long a worker waits after a storage error before it takes another job. */
const DEFAULT_STORAGE_PAUSE_MS = 5_000;

/** The pipeline's results, telling the watchdog about each frame (and which frame comes next). */
async function* watchProgress(
  frames: AsyncIterable<FrameResult>,
  watchdog: ProgressWatchdog,
  stride: number,
): AsyncGenerator<FrameResult> {
  for await (const frame of frames) {
    watchdog.touch(`at frame ${frame.frame_index + stride}`);
    yield frame;
  }
}

/** The promise's value, or the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, discard: (late: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        // Arrived after the abort: nobody will read it.
        if (signal.aborted) discard(value);
        else resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** A message that fails the job for good, or undefined when another attempt may succeed. */
function finalFailureMessage(err: unknown): string | undefined {
  if (err instanceof UnsupportedMediaError) return err.message;
  if (err instanceof NotFoundError) return `input video is missing from storage: ${err.message}`;
  return undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
