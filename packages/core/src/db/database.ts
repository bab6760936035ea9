import type { JobTable } from '../jobs/job.table';

/** The one Kysely schema interface; add a table here and its file beside its feature. */
export interface Database {
  jobs: JobTable;
}
