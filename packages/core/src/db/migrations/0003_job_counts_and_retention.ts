import { type Kysely, sql } from 'kysely';

/** Counter rows per status; a statement picks one at random, so concurrent writers rarely share a row lock. */
export const JOB_COUNT_SHARDS = 16;

/**
 * Costs that do not grow with history, and retention (issue 11).
 * - `job_counts`: jobs per status, kept by statement-level triggers on `jobs`, so /metrics and the
 *   requeue pass read 64 small rows instead of counting the table. Each writing statement adds its
 *   net change per status to one random shard, touching statuses in name order, so two statements
 *   never wait for each other's counter rows in opposite orders (no deadlock); a statement that
 *   changes no status (a heartbeat) writes no counter. TRUNCATE zeroes them.
 * - `input_deleted_at`: when retention removed the job's input (GET /video/input answers 404 after).
 * - `retention_claimed_at`: a retention pass holds the row while it deletes its objects; a claim
 *   older than the lease is taken over by the next pass (the first one crashed).
 * - Partial indexes over finished jobs by updated_at (a finished row's updated_at is when it
 *   finished; nothing touches it after): the retention passes read their oldest rows as an index
 *   range, however many jobs the table keeps.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('jobs')
    .addColumn('input_deleted_at', 'timestamptz')
    .addColumn('retention_claimed_at', 'timestamptz')
    .execute();
  await sql`CREATE INDEX jobs_finished_updated_at_idx ON jobs (updated_at)
    WHERE status IN ('completed', 'failed')`.execute(db);
  await sql`CREATE INDEX jobs_finished_input_kept_updated_at_idx ON jobs (updated_at)
    WHERE status IN ('completed', 'failed') AND input_deleted_at IS NULL`.execute(db);

  await sql`CREATE TABLE job_counts (
    status text NOT NULL,
    shard smallint NOT NULL,
    n bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (status, shard)
  )`.execute(db);
  await sql`INSERT INTO job_counts (status, shard, n)
    SELECT s, g, 0 FROM unnest(ARRAY['pending', 'running', 'completed', 'failed']) AS s,
      generate_series(0, ${sql.lit(JOB_COUNT_SHARDS - 1)}) AS g`.execute(db);

  await sql`CREATE FUNCTION job_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      pick smallint := floor(random() * ${sql.lit(JOB_COUNT_SHARDS)})::smallint;
      delta record;
    BEGIN
      IF TG_OP = 'INSERT' THEN
        FOR delta IN SELECT status, count(*) AS d FROM new_rows GROUP BY status ORDER BY status LOOP
          UPDATE job_counts SET n = n + delta.d WHERE status = delta.status AND shard = pick;
        END LOOP;
      ELSIF TG_OP = 'DELETE' THEN
        FOR delta IN SELECT status, count(*) AS d FROM old_rows GROUP BY status ORDER BY status LOOP
          UPDATE job_counts SET n = n - delta.d WHERE status = delta.status AND shard = pick;
        END LOOP;
      ELSE
        FOR delta IN
          SELECT status, sum(d) AS d FROM (
            SELECT status, 1 AS d FROM new_rows UNION ALL SELECT status, -1 AS d FROM old_rows
          ) AS changes GROUP BY status HAVING sum(d) <> 0 ORDER BY status
        LOOP
          UPDATE job_counts SET n = n + delta.d WHERE status = delta.status AND shard = pick;
        END LOOP;
      END IF;
      RETURN NULL;
    END
  $$`.execute(db);
  await sql`CREATE FUNCTION job_counts_reset() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      UPDATE job_counts SET n = 0;
      RETURN NULL;
    END
  $$`.execute(db);

  // Postgres allows transition tables only on single-event triggers: one trigger per event.
  // Writers wait until this migration commits, so the initial counts and the triggers agree.
  await sql`LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE`.execute(db);
  await sql`CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_counts_apply()`.execute(db);
  await sql`CREATE TRIGGER jobs_count_update AFTER UPDATE ON jobs REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_counts_apply()`.execute(db);
  await sql`CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION job_counts_apply()`.execute(db);
  await sql`CREATE TRIGGER jobs_count_truncate AFTER TRUNCATE ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION job_counts_reset()`.execute(db);
  await sql`UPDATE job_counts SET n = existing.n
    FROM (SELECT status, count(*) AS n FROM jobs GROUP BY status) AS existing
    WHERE job_counts.status = existing.status AND job_counts.shard = 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER jobs_count_truncate ON jobs`.execute(db);
  await sql`DROP TRIGGER jobs_count_delete ON jobs`.execute(db);
  await sql`DROP TRIGGER jobs_count_update ON jobs`.execute(db);
  await sql`DROP TRIGGER jobs_count_insert ON jobs`.execute(db);
  await sql`DROP FUNCTION job_counts_reset()`.execute(db);
  await sql`DROP FUNCTION job_counts_apply()`.execute(db);
  await sql`DROP TABLE job_counts`.execute(db);
  await db.schema.dropIndex('jobs_finished_input_kept_updated_at_idx').execute();
  await db.schema.dropIndex('jobs_finished_updated_at_idx').execute();
  await db.schema.alterTable('jobs').dropColumn('retention_claimed_at').dropColumn('input_deleted_at').execute();
}
