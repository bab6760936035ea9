import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The `jobs` table (DESIGN §3). Every other job type derives from this one. */
export interface JobTable {
  job_id: string;
  status: JobStatus;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  input_path: string;
  output_path: string | null;
  error_message: string | null;
  pipeline_id: string;
  frame_stride: ColumnType<number, number | undefined, number>;
  max_frames: number | null;
  attempts: Generated<number>;
  locked_by: string | null;
  owner: string | null;
  /** The client's Idempotency-Key (migration 0002); unique per owner while set. */
  idempotency_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** sha256 of the submitted file and parameters, to tell a replay from a different request. */
  request_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /** When retention removed the input object (migration 0003); null while it is stored. */
  input_deleted_at: ColumnType<Date | null, never, Date | null>;
  /** A retention pass working on this finished row since then; an old claim is taken over. */
  retention_claimed_at: ColumnType<Date | null, never, Date | null>;
}

/** `job_counts` (migration 0003): jobs per status, split over shards; kept by triggers on `jobs`. */
export interface JobCountTable {
  status: JobStatus;
  shard: number;
  n: ColumnType<string, never, never>;
}

export type JobRow = Selectable<JobTable>;
export type NewJob = Insertable<JobTable>;
export type JobUpdate = Updateable<JobTable>;
