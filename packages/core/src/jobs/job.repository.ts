import type { JobRow, JobStatus, NewJob } from './job.table';

/** Where a page of the job listing starts: just after this job, in (created_at, job_id) order. */
export interface ListPosition {
  /** created_at in microseconds since the epoch, as a decimal string (a Date holds only ms). */
  createdAtUs: string;
  jobId: string;
}

export interface ListJobsQuery {
  /** Only this owner's jobs; null: the jobs submitted in open mode. */
  owner: string | null;
  /** Any of these statuses; empty: every status. */
  statuses: readonly JobStatus[];
  limit: number;
  after?: ListPosition;
}

export interface JobPage {
  /** Newest first. */
  jobs: JobRow[];
  /** Where the next page starts; null when this page holds the last job. */
  next: ListPosition | null;
}

/** A submit carrying an Idempotency-Key: the new job, or the one the key already names. */
export type IdempotentCreate = { created: true; job: JobRow } | { created: false; job: JobRow };

/** A position in the pending jobs ordered by (updated_at, job_id); updated_at as Postgres text, exact. */
export interface PendingCursor {
  job_id: string;
  updated_at: string;
}

export interface ReapResult {
  /** Jobs whose lease expired and went back to pending (to be enqueued again). */
  requeued: string[];
  /** Jobs whose lease expired with no attempts left: now failed (to be pushed to the dead list). */
  failed: string[];
}

/** A finished job a retention pass has claimed: what it must delete before the row. */
export interface ExpiringJob {
  job_id: string;
  input_path: string;
  output_path: string | null;
  /** The input object is already gone (input retention removed it earlier). */
  input_deleted: boolean;
}

/**
 * Job state in the database, the source of truth. Every state change is one conditional
 * statement, so two workers can never both own or both finish a job.
 */
export interface JobRepository {
  create(job: NewJob): Promise<JobRow>;
  /**
   * Inserts the job unless its owner already has a job with its idempotency_key created within
   * windowMs (0: no limit); then answers that job instead. One statement decides, so of racing
   * submits with one key exactly one creates. An older job holding the key gives it up.
   */
  createIdempotent(
    job: NewJob & { idempotency_key: string; request_hash: string },
    windowMs: number,
  ): Promise<IdempotentCreate>;
  /** The job an owner's idempotency key names, if created within windowMs (0: no limit). */
  findByIdempotencyKey(owner: string | null, key: string, windowMs: number): Promise<JobRow | undefined>;
  /** A page of an owner's jobs, newest first, by keyset on (created_at, job_id): no OFFSET. */
  list(query: ListJobsQuery): Promise<JobPage>;
  /** undefined for an unknown or malformed id (never a database error). */
  get(jobId: string): Promise<JobRow | undefined>;
  /** Removes a job row; used only to undo a submit that failed before it was answered. */
  delete(jobId: string): Promise<void>;
  /** pending → running for this worker, attempts + 1. undefined: not pending (duplicate or stale id). */
  claim(jobId: string, workerId: string): Promise<JobRow | undefined>;
  /** Touch updated_at while running for this worker. false: the lease is lost. */
  heartbeat(jobId: string, workerId: string): Promise<boolean>;
  /** running(this worker) → completed with the results key. false: the lease was lost. */
  complete(jobId: string, workerId: string, outputPath: string): Promise<boolean>;
  /** running(this worker) → failed with a message a user can read. false: the lease was lost. */
  fail(jobId: string, workerId: string, errorMessage: string): Promise<boolean>;
  /**
   * running(this worker) → pending, so another worker can take it. false: the lease was lost.
   * `refundAttempt`: the attempt was not the job's fault (storage full or unreachable), so the
   * attempt its claim counted is given back and does not bring it closer to MAX_ATTEMPTS.
   */
  release(jobId: string, workerId: string, options?: { refundAttempt?: boolean }): Promise<boolean>;
  /** Running jobs not touched for leaseMs: back to pending while attempts < maxAttempts, else failed. */
  reapExpired(leaseMs: number, maxAttempts: number): Promise<ReapResult>;
  /** How many jobs are pending (compared with the queue's length by the requeue pass). */
  countPending(): Promise<number>;
  /**
   * One page of pending jobs untouched for olderThanMs, oldest first, after `after` (the last
   * row of the previous page). Reads only, over the (status, updated_at) index.
   */
  pageStalePending(olderThanMs: number, after: PendingCursor | undefined, limit: number): Promise<PendingCursor[]>;
  /**
   * Of these ids, the ones still pending and untouched for olderThanMs, with updated_at bumped
   * in the same statement: of several workers requeueing at once, each id goes to one of them.
   */
  markRequeued(jobIds: readonly string[], olderThanMs: number): Promise<string[]>;
  /** Every pending job id (embedded start-up re-enqueues them). */
  listPending(): Promise<string[]>;
  countByStatus(): Promise<Record<JobStatus, number>>;
  /**
   * Claims up to `limit` completed or failed jobs that finished more than olderThanMs ago, oldest
   * first, for a retention pass: sets retention_claimed_at, skipping rows another pass claimed less
   * than claimMs ago or holds locked right now (SKIP LOCKED). Pending and running jobs never match.
   */
  claimExpired(olderThanMs: number, claimMs: number, limit: number): Promise<ExpiringJob[]>;
  /** Deletes these finished rows (their objects are gone); the ids actually deleted, each by one caller. */
  deleteExpired(jobIds: readonly string[]): Promise<string[]>;
  /** Like claimExpired, over finished jobs whose input is still stored, finished more than olderThanMs ago. */
  claimExpiredInputs(olderThanMs: number, claimMs: number, limit: number): Promise<ExpiringJob[]>;
  /** Records that these jobs' inputs are deleted and lets go of the claim; the ids newly marked. */
  markInputsDeleted(jobIds: readonly string[]): Promise<string[]>;
  /** Throws when the database cannot be reached (readiness). */
  ping(): Promise<void>;
}
