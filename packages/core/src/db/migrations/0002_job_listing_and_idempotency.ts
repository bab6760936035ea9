import { type Kysely, sql } from 'kysely';

/**
 * Idempotent submit and the job listing (issue 12).
 * - `idempotency_key`, `request_hash`: the client's Idempotency-Key and the sha256 of what it sent
 *   (file + parameters). The unique index makes two racing submits with one key one job; NULLS NOT
 *   DISTINCT so that in open mode (owner null) everyone shares one key space.
 * - Listing indexes: newest first by (created_at, job_id) per owner, and per owner and status, so a
 *   page is an index range however many jobs the table holds.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('idempotency_key', 'text').addColumn('request_hash', 'text').execute();
  await sql`CREATE UNIQUE INDEX jobs_owner_idempotency_key_idx ON jobs (owner, idempotency_key) NULLS NOT DISTINCT
    WHERE idempotency_key IS NOT NULL`.execute(db);
  await sql`CREATE INDEX jobs_owner_created_at_idx ON jobs (owner, created_at DESC, job_id DESC)`.execute(db);
  await sql`CREATE INDEX jobs_owner_status_created_at_idx ON jobs (owner, status, created_at DESC, job_id DESC)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('jobs_owner_status_created_at_idx').execute();
  await db.schema.dropIndex('jobs_owner_created_at_idx').execute();
  await db.schema.dropIndex('jobs_owner_idempotency_key_idx').execute();
  await db.schema.alterTable('jobs').dropColumn('request_hash').dropColumn('idempotency_key').execute();
}
