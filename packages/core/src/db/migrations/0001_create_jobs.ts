import { type Kysely, sql } from 'kysely';

/** The jobs table of DESIGN §3: the seed columns plus what the worker lifecycle needs. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('job_id', 'uuid', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('input_path', 'text', (c) => c.notNull())
    .addColumn('output_path', 'text')
    .addColumn('error_message', 'text')
    .addColumn('pipeline_id', 'text', (c) => c.notNull())
    .addColumn('frame_stride', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('max_frames', 'integer')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_by', 'text')
    .addColumn('owner', 'text')
    .addCheckConstraint('jobs_status_check', sql`status IN ('pending', 'running', 'completed', 'failed')`)
    .addCheckConstraint('jobs_frame_stride_check', sql`frame_stride >= 1`)
    .addCheckConstraint('jobs_max_frames_check', sql`max_frames >= 1`)
    .execute();
  // Serves the reaper (running, oldest updated_at), the requeue scan (pending) and counts by status.
  await db.schema.createIndex('jobs_status_updated_at_idx').on('jobs').columns(['status', 'updated_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('jobs').execute();
}
