import { isJobId, JOB_STATUSES, ValidationError, type JobStatus, type ListPosition } from '@video-jobs/core';

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;

export interface ListParams {
  statuses: JobStatus[];
  limit: number;
  after?: ListPosition;
}

/**
 * The cursor is opaque to clients: base64url of "<created_at in µs>.<job_id>", the keyset position
 * after the last job of a page. Opaque so the keyset can change without breaking clients.
 */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(`${position.createdAtUs}.${position.jobId}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^(\d{1,19})\.([0-9a-f-]{36})$/.exec(text);
  if (!match || !isJobId(match[2])) {
    throw new ValidationError(
      'cursor is not one this service gave out; send the next_cursor of the previous page, or none',
    );
  }
  return { createdAtUs: match[1], jobId: match[2] };
}

/** GET /video/jobs query: `status` (repeatable), `limit` 1-100 (default 20), `cursor`. */
export function parseListParams(query: Record<string, unknown>): ListParams {
  const statusValues = [query.status ?? []].flat();
  const statuses: JobStatus[] = [];
  for (const value of statusValues) {
    if (typeof value !== 'string' || !(JOB_STATUSES as readonly string[]).includes(value)) {
      throw new ValidationError(`status must be one of: ${JOB_STATUSES.join(', ')} (repeat the parameter for several)`);
    }
    statuses.push(value as JobStatus);
  }
  let limit = DEFAULT_LIST_LIMIT;
  if (query.limit !== undefined) {
    const raw = query.limit;
    if (typeof raw !== 'string' || !/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LIST_LIMIT) {
      throw new ValidationError(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
    }
    limit = Number(raw);
  }
  let after: ListPosition | undefined;
  if (query.cursor !== undefined) {
    if (typeof query.cursor !== 'string') throw new ValidationError('cursor must be given once');
    after = decodeCursor(query.cursor);
  }
  return { statuses, limit, after };
}
