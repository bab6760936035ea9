import { randomUUID } from 'node:crypto';
import type { JobRow, NewJob } from '../jobs/job.table';
import { inputKey } from '../storage/object-storage';

/** A complete pending JobRow for unit tests: `jobFactory({ status: 'running', attempts: 1 })`. */
export function jobFactory(overrides: Partial<JobRow> = {}): JobRow {
  const jobId = overrides.job_id ?? randomUUID();
  const at = new Date();
  return {
    job_id: jobId,
    status: 'pending',
    created_at: at,
    updated_at: at,
    input_path: inputKey(jobId),
    output_path: null,
    error_message: null,
    pipeline_id: 'yolo_ocr',
    frame_stride: 1,
    max_frames: null,
    attempts: 0,
    locked_by: null,
    owner: null,
    idempotency_key: null,
    request_hash: null,
    input_deleted_at: null,
    retention_claimed_at: null,
    ...overrides,
  };
}

/** A row to insert with JobRepository.create(): pending, default pipeline, its own input key. */
export function newJobFactory(overrides: Partial<NewJob> = {}): NewJob {
  const jobId = overrides.job_id ?? randomUUID();
  return { job_id: jobId, status: 'pending', input_path: inputKey(jobId), pipeline_id: 'yolo_ocr', ...overrides };
}
