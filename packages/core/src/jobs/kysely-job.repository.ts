import { type CompiledQuery, type Kysely, sql, type UpdateObject } from 'kysely';
import type { Database } from '../db/database';
import { isJobId } from './job-id';
import { listJobs } from './job-listing';
import type {
  ExpiringJob,
  IdempotentCreate,
  JobPage,
  JobRepository,
  ListJobsQuery,
  PendingCursor,
  ReapResult,
} from './job.repository';
import { JOB_STATUSES, type JobRow, type JobStatus, type NewJob } from './job.table';

/** The database clock, so every machine judges leases against the same time. */
const now = sql<Date>`now()`;
/** A moment `ms` milliseconds before the database's now(). */
const ago = (ms: number) => sql<Date>`now() - ${ms}::double precision * interval '1 millisecond'`;

/**
 * Finished jobs, spelled as the partial indexes of migration 0003 spell it: a literal, so the planner
 * matches those indexes whatever the parameters.
 */
const finished = sql<boolean>`status in ('completed', 'failed')`;

/**
 * JobRepository over Kysely, the same on Postgres and PGlite (DESIGN §4). Every state change is
 * one UPDATE whose WHERE carries the expected status (and, for a running job, locked_by), so of
 * two racing workers exactly one changes the row and the other sees "no row". locked_by is the
 * worker holding the job, or that last held it once it is finished; null while pending.
 */
export class KyselyJobRepository implements JobRepository {
  /**
   * get() serves every status poll and its SQL never changes, so it is compiled once and run with
   * the id as its only parameter: building and compiling the query was a tenth of the API's CPU per
   * poll (bench:api, docs/performance.md).
   */
  private readonly getById: CompiledQuery<JobRow>;

  constructor(private readonly db: Kysely<Database>) {
    this.getById = db.selectFrom('jobs').selectAll().where('job_id', '=', '').compile();
  }

  create(job: NewJob): Promise<JobRow> {
    return this.db.insertInto('jobs').values(job).returningAll().executeTakeFirstOrThrow();
  }

  async createIdempotent(
    job: NewJob & { idempotency_key: string; request_hash: string },
    windowMs: number,
  ): Promise<IdempotentCreate> {
    const owner = job.owner ?? null;
    const key = job.idempotency_key;
    if (windowMs > 0) {
      // A key older than the window is free again: its old job lets go of it.
      await this.db
        .updateTable('jobs')
        .set({ idempotency_key: null })
        .where((eb) => (owner === null ? eb('owner', 'is', null) : eb('owner', '=', owner)))
        .where('idempotency_key', '=', key)
        .where('created_at', '<', ago(windowMs))
        .execute();
    }
    // Two tries: the job holding the key can be deleted (retention) between the insert and the read.
    for (let attempt = 0; attempt < 2; attempt++) {
      const created = await this.db
        .insertInto('jobs')
        .values(job)
        .onConflict((oc) =>
          oc.columns(['owner', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing(),
        )
        .returningAll()
        .executeTakeFirst();
      if (created) return { created: true, job: created };
      const existing = await this.findByIdempotencyKey(owner, key, 0);
      if (existing) return { created: false, job: existing };
    }
    throw new Error(`idempotency key conflict could not be resolved for job ${job.job_id}`);
  }

  findByIdempotencyKey(owner: string | null, key: string, windowMs: number): Promise<JobRow | undefined> {
    return this.db
      .selectFrom('jobs')
      .selectAll()
      .where((eb) => (owner === null ? eb('owner', 'is', null) : eb('owner', '=', owner)))
      .where('idempotency_key', '=', key)
      .$if(windowMs > 0, (qb) => qb.where('created_at', '>=', ago(windowMs)))
      .executeTakeFirst();
  }

  list(query: ListJobsQuery): Promise<JobPage> {
    return listJobs(this.db, query);
  }

  async get(jobId: string): Promise<JobRow | undefined> {
    if (!isJobId(jobId)) return undefined;
    const { rows } = await this.db.executeQuery<JobRow>({ ...this.getById, parameters: [jobId] });
    return rows[0];
  }

  async delete(jobId: string): Promise<void> {
    if (!isJobId(jobId)) return;
    await this.db.deleteFrom('jobs').where('job_id', '=', jobId).execute();
  }

  async claim(jobId: string, workerId: string): Promise<JobRow | undefined> {
    if (!isJobId(jobId)) return undefined;
    return this.db
      .updateTable('jobs')
      .set((eb) => ({ status: 'running', attempts: eb('attempts', '+', 1), locked_by: workerId, updated_at: now }))
      .where('job_id', '=', jobId)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
  }

  heartbeat(jobId: string, workerId: string): Promise<boolean> {
    return this.updateOwned(jobId, workerId, {});
  }

  complete(jobId: string, workerId: string, outputPath: string): Promise<boolean> {
    return this.updateOwned(jobId, workerId, { status: 'completed', output_path: outputPath });
  }

  fail(jobId: string, workerId: string, errorMessage: string): Promise<boolean> {
    return this.updateOwned(jobId, workerId, { status: 'failed', error_message: errorMessage });
  }

  release(jobId: string, workerId: string, options: { refundAttempt?: boolean } = {}): Promise<boolean> {
    return this.updateOwned(jobId, workerId, {
      status: 'pending',
      locked_by: null,
      ...(options.refundAttempt ? { attempts: sql<number>`greatest(attempts - 1, 0)` } : {}),
    });
  }

  async reapExpired(leaseMs: number, maxAttempts: number): Promise<ReapResult> {
    // Two statements, disjoint by attempts: a job requeued by the first has a fresh updated_at,
    // so the second cannot see it. Concurrent reapers serialise on the row lock and re-check
    // the WHERE, so each expired job is reaped by one of them.
    const requeued = await this.db
      .updateTable('jobs')
      .set({ status: 'pending', locked_by: null, updated_at: now })
      .where('status', '=', 'running')
      .where('updated_at', '<', ago(leaseMs))
      .where('attempts', '<', maxAttempts)
      .returning('job_id')
      .execute();
    const failed = await this.db
      .updateTable('jobs')
      .set({
        status: 'failed',
        error_message: sql<string>`'worker lost the job ' || attempts || ' times'`,
        updated_at: now,
      })
      .where('status', '=', 'running')
      .where('updated_at', '<', ago(leaseMs))
      .where('attempts', '>=', maxAttempts)
      .returning('job_id')
      .execute();
    return { requeued: requeued.map((r) => r.job_id), failed: failed.map((r) => r.job_id) };
  }

  async countPending(): Promise<number> {
    return (await this.countByStatus()).pending;
  }

  async pageStalePending(
    olderThanMs: number,
    after: PendingCursor | undefined,
    limit: number,
  ): Promise<PendingCursor[]> {
    let query = this.db
      .selectFrom('jobs')
      .select(['job_id', sql<string>`updated_at::text`.as('updated_at')])
      .where('status', '=', 'pending')
      .where('updated_at', '<', ago(olderThanMs));
    if (after) {
      // The plain >= keeps this an index range; the row comparison breaks ties by id.
      const at = sql<Date>`${after.updated_at}::timestamptz`;
      query = query
        .where('updated_at', '>=', at)
        .where(sql<boolean>`(updated_at, job_id) > (${at}, ${after.job_id}::uuid)`);
    }
    // jobs.updated_at, the column: a bare updated_at would name the text alias above and sort by text.
    return query.orderBy('jobs.updated_at').orderBy('job_id').limit(limit).execute();
  }

  async markRequeued(jobIds: readonly string[], olderThanMs: number): Promise<string[]> {
    const ids = jobIds.filter(isJobId);
    if (ids.length === 0) return [];
    const rows = await this.db
      .updateTable('jobs')
      .set({ updated_at: now })
      .where('job_id', 'in', ids)
      .where('status', '=', 'pending')
      .where('updated_at', '<', ago(olderThanMs))
      .returning('job_id')
      .execute();
    return rows.map((r) => r.job_id);
  }

  async listPending(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .select('job_id')
      .where('status', '=', 'pending')
      .orderBy('created_at')
      .execute();
    return rows.map((r) => r.job_id);
  }

  /** Sums the trigger-kept counters (migration 0003): 64 rows whatever the table holds. */
  async countByStatus(): Promise<Record<JobStatus, number>> {
    const rows = await this.db
      .selectFrom('job_counts')
      .select(['status', sql<string>`sum(n)`.as('n')])
      .groupBy('status')
      .execute();
    const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
    for (const r of rows) counts[r.status] = Number(r.n);
    return counts;
  }

  claimExpired(olderThanMs: number, claimMs: number, limit: number): Promise<ExpiringJob[]> {
    return this.claimForRetention(olderThanMs, claimMs, limit, false);
  }

  async deleteExpired(jobIds: readonly string[]): Promise<string[]> {
    const ids = jobIds.filter(isJobId);
    if (ids.length === 0) return [];
    const rows = await this.db
      .deleteFrom('jobs')
      .where('job_id', 'in', ids)
      .where(finished)
      .returning('job_id')
      .execute();
    return rows.map((r) => r.job_id);
  }

  claimExpiredInputs(olderThanMs: number, claimMs: number, limit: number): Promise<ExpiringJob[]> {
    return this.claimForRetention(olderThanMs, claimMs, limit, true);
  }

  async markInputsDeleted(jobIds: readonly string[]): Promise<string[]> {
    const ids = jobIds.filter(isJobId);
    if (ids.length === 0) return [];
    const rows = await this.db
      .updateTable('jobs')
      .set({ input_deleted_at: now, retention_claimed_at: null })
      .where('job_id', 'in', ids)
      .where(finished)
      .where('input_deleted_at', 'is', null)
      .returning('job_id')
      .execute();
    return rows.map((r) => r.job_id);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /**
   * One UPDATE claims a batch: the inner SELECT walks the partial index oldest first and locks its
   * rows with SKIP LOCKED, so racing passes take disjoint rows instead of waiting for each other;
   * a row another pass claimed and committed meanwhile is re-checked and dropped by the claim test.
   */
  private async claimForRetention(
    olderThanMs: number,
    claimMs: number,
    limit: number,
    inputsOnly: boolean,
  ): Promise<ExpiringJob[]> {
    const rows = await this.db
      .updateTable('jobs')
      .set({ retention_claimed_at: now })
      .where('job_id', 'in', (eb) =>
        eb
          .selectFrom('jobs')
          .select('job_id')
          .where(finished)
          .$if(inputsOnly, (qb) => qb.where('input_deleted_at', 'is', null))
          .where('updated_at', '<', ago(olderThanMs))
          .where((w) => w.or([w('retention_claimed_at', 'is', null), w('retention_claimed_at', '<', ago(claimMs))]))
          .orderBy('updated_at')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .returning(['job_id', 'input_path', 'output_path', 'input_deleted_at'])
      .execute();
    return rows.map((r) => ({
      job_id: r.job_id,
      input_path: r.input_path,
      output_path: r.output_path,
      input_deleted: r.input_deleted_at !== null,
    }));
  }

  /** One UPDATE that applies only while this worker holds the job; false when the lease is lost. */
  private async updateOwned(jobId: string, workerId: string, values: UpdateObject<Database, 'jobs'>): Promise<boolean> {
    if (!isJobId(jobId)) return false;
    const result = await this.db
      .updateTable('jobs')
      .set({ ...values, updated_at: now })
      .where('job_id', '=', jobId)
      .where('status', '=', 'running')
      .where('locked_by', '=', workerId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}
