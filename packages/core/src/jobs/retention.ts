import type { Logger } from 'winston';
import { resultsIndexKey, resultsKey, type ObjectStorage } from '../storage/object-storage';
import type { ExpiringJob, JobRepository } from './job.repository';

export interface RetentionDeps {
  jobs: JobRepository;
  storage: ObjectStorage;
  logger: Logger;
}

export interface RetentionOptions {
  /** Finished jobs older than this lose their objects and their row; 0 keeps them. */
  retentionMs: number;
  /** Finished jobs older than this lose their input; null keeps inputs (until the row goes). */
  inputRetentionMs: number | null;
  /** A claim older than this is taken to belong to a pass that died, and is taken over. */
  claimMs: number;
  /** Jobs per claim; the objects of one batch are deleted before the next is claimed. */
  batchSize?: number;
  /** Claims per pass and kind, so a backlog (retention just enabled) cannot hold up the maintenance timer. */
  maxBatches?: number;
}

export interface RetentionResult {
  /** Rows deleted, each with its input, results and results index objects. */
  jobsDeleted: number;
  /** Inputs deleted ahead of their job (INPUT_RETENTION_MS shorter than RETENTION_MS). */
  inputsDeleted: number;
}

const BATCH = 100;
const MAX_BATCHES = 10;
/** Object deletions in flight at once: enough to hide S3's latency, few enough not to flood it. */
const DELETES_IN_FLIGHT = 8;

/**
 * The retention half of maintenance (issue 11). Each finished job past RETENTION_MS loses its input
 * object, its results and results index objects, and then its row, in that order: a pass that dies
 * in between leaves a claimed row whose objects are (partly) gone, and a later pass takes the claim
 * over once it is claimMs old and finishes it (deleting a missing object is not an error). Inputs
 * past INPUT_RETENTION_MS go the same way without the row, which records input_deleted_at.
 *
 * Batches are claimed with one UPDATE … FOR UPDATE SKIP LOCKED over a partial index, so several
 * workers running this at once take disjoint rows, a pass reads an index range whatever the
 * table's history, and each row is deleted (and counted) by exactly one DELETE … RETURNING. A job
 * whose objects could not be deleted (storage down) keeps its row and claim, and is tried again
 * after claimMs. Pending and running jobs are never claimed.
 */
export async function expireFinishedJobs(deps: RetentionDeps, options: RetentionOptions): Promise<RetentionResult> {
  const batchSize = options.batchSize ?? BATCH;
  const maxBatches = options.maxBatches ?? MAX_BATCHES;
  const result: RetentionResult = { jobsDeleted: 0, inputsDeleted: 0 };
  const { jobs } = deps;

  if (options.retentionMs > 0) {
    for (let batch = 0; batch < maxBatches; batch++) {
      const claimed = await jobs.claimExpired(options.retentionMs, options.claimMs, batchSize);
      const cleared = await deleteObjects(deps, claimed, jobObjects, 'job');
      result.jobsDeleted += (await jobs.deleteExpired(cleared)).length;
      if (claimed.length < batchSize) break;
    }
  }
  if (options.inputRetentionMs !== null) {
    for (let batch = 0; batch < maxBatches; batch++) {
      const claimed = await jobs.claimExpiredInputs(options.inputRetentionMs, options.claimMs, batchSize);
      const cleared = await deleteObjects(deps, claimed, (job) => [job.input_path], 'input');
      result.inputsDeleted += (await jobs.markInputsDeleted(cleared)).length;
      if (claimed.length < batchSize) break;
    }
  }
  if (result.jobsDeleted + result.inputsDeleted > 0) {
    deps.logger.info('retention deleted expired jobs and inputs', {
      jobs_deleted: result.jobsDeleted,
      inputs_deleted: result.inputsDeleted,
    });
  }
  return result;
}

/** Everything a job stored, input first: the order the issue asks for, row last. */
function jobObjects(job: ExpiringJob): string[] {
  const keys = [
    ...(job.input_deleted ? [] : [job.input_path]),
    ...(job.output_path ? [job.output_path] : []),
    resultsKey(job.job_id),
    resultsIndexKey(job.job_id),
  ];
  // A failed job has no output_path but may hold results a worker wrote before losing its lease.
  return [...new Set(keys)];
}

/** Deletes each job's objects in order; the ids of the jobs whose objects are all gone. */
async function deleteObjects(
  deps: RetentionDeps,
  claimed: readonly ExpiringJob[],
  objectsOf: (job: ExpiringJob) => string[],
  kind: 'job' | 'input',
): Promise<string[]> {
  const cleared: string[] = [];
  const failures: string[] = [];
  let firstError: unknown;
  let next = 0;
  const lane = async () => {
    while (next < claimed.length) {
      const job = claimed[next++];
      try {
        for (const key of objectsOf(job)) await deps.storage.delete(key);
        cleared.push(job.job_id);
      } catch (err) {
        failures.push(job.job_id);
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DELETES_IN_FLIGHT, claimed.length) }, lane));
  if (failures.length > 0) {
    // The rows stay claimed; a pass after the claim lapses tries them again.
    deps.logger.warn('retention could not delete stored objects; the jobs are kept and tried again later', {
      kind,
      jobs: failures.length,
      job_id: failures[0],
      error: firstError instanceof Error ? firstError.message : String(firstError),
    });
  }
  return cleared;
}
