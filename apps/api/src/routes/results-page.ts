import { Readable } from 'node:stream';
import {
  NotFoundError,
  readResultsPage,
  resultsIndexKey,
  ValidationError,
  type JobRow,
  type ObjectStorage,
  type ResultsPage,
} from '@video-jobs/core';

export const MAX_RESULTS_LIMIT = 10_000;
export const DEFAULT_RESULTS_LIMIT = 1_000;

export interface ResultsPageParams {
  fromFrame: number;
  limit: number;
}

/** `from_frame` (>= 0) and `limit` (1-10,000); undefined when neither is given (the whole results). */
export function parseResultsPageParams(query: Record<string, unknown>): ResultsPageParams | undefined {
  if (query.from_frame === undefined && query.limit === undefined) return undefined;
  const whole = (name: string, value: unknown, min: number, max: number, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !/^\d{1,15}$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new ValidationError(`${name} must be a whole number from ${min} to ${max}`);
    }
    return Number(value);
  };
  return {
    fromFrame: whole('from_frame', query.from_frame, 0, Number.MAX_SAFE_INTEGER, 0),
    limit: whole('limit', query.limit, 1, MAX_RESULTS_LIMIT, DEFAULT_RESULTS_LIMIT),
  };
}

/**
 * One page of a completed job's results from its frame index. A job completed before the index
 * existed has none: its results are read whole and sliced (memory grows with them, once per page;
 * such jobs age out with RETENTION_MS).
 */
export async function resultsPage(
  storage: ObjectStorage,
  job: JobRow,
  params: ResultsPageParams,
): Promise<ResultsPage> {
  const json = job.output_path!;
  try {
    return await readResultsPage(
      storage,
      { json, index: resultsIndexKey(job.job_id) },
      params.fromFrame,
      params.limit,
      job.frame_stride,
    );
  } catch (err) {
    if (!(err instanceof NotFoundError) || !(await storage.exists(json))) throw err;
  }
  const chunks: Buffer[] = [];
  for await (const c of await storage.get(json)) chunks.push(c as Buffer);
  const frames = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<{ frame_index: number }>).filter(
    (f) => f.frame_index >= params.fromFrame,
  );
  const page = frames.slice(0, params.limit);
  return {
    body: page.length > 0 ? Readable.from([page.map((f) => JSON.stringify(f)).join(',')]) : null,
    nextFromFrame: frames[params.limit]?.frame_index ?? null,
  };
}
