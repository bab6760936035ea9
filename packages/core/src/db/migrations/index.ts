import type { Migration } from 'kysely';
import * as createJobs from './0001_create_jobs';
import * as jobListingAndIdempotency from './0002_job_listing_and_idempotency';
import * as jobCountsAndRetention from './0003_job_counts_and_retention';

/**
 * Every migration, in the order they apply. A static list rather than a folder scan, so the
 * same code finds them from TypeScript source (jest) and from compiled dist (node apps/api),
 * in any working directory and in any container image. Add new files here with the next number.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001_create_jobs': createJobs,
  '0002_job_listing_and_idempotency': jobListingAndIdempotency,
  '0003_job_counts_and_retention': jobCountsAndRetention,
};
