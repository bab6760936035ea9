import type { Kysely } from 'kysely';
import type { JobCountTable, JobTable } from '../jobs/job.table';

/** The one Kysely schema interface; add a table here and its file beside its feature. */
export interface Database {
  jobs: JobTable;
  job_counts: JobCountTable;
}

/** A connected database, Postgres or embedded PGlite; apps use this type and need no kysely import. */
export type Db = Kysely<Database>;
