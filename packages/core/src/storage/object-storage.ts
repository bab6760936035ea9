import type { Readable } from 'node:stream';

/** Keys of DESIGN §5; the client's filename is never part of a key. */
export const inputKey = (jobId: string) => `video_jobs/${jobId}.mp4`;
export const resultsKey = (jobId: string) => `video_jobs/${jobId}_results.json`;
/** Frame offsets into the results JSON, for paged reads (jobs/results-index.ts). */
export const resultsIndexKey = (jobId: string) => `video_jobs/${jobId}_results.index`;

/** Bytes `start`..`end` of an object, both inclusive (HTTP Range semantics). */
export interface ByteRange {
  start: number;
  end: number;
}

/** Throws a plain error for a range no caller should build (negative, reversed, not integers). */
export function assertValidRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range ${start}-${end}`);
  }
}

/** Videos and results. put() streams; nothing is buffered whole in memory. */
export interface ObjectStorage {
  /** Stores the stream under key; a failed or aborted stream leaves no object under key. */
  put(key: string, body: Readable): Promise<{ bytes: number }>;
  /**
   * A stream of the object, or of the bytes `range.start`..`range.end` (both inclusive, as in HTTP
   * Range; an `end` past the last byte is clamped to it). NotFoundError when the object does not
   * exist; RangeNotSatisfiableError when `range.start` is at or past its end.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** The object's size in bytes; NotFoundError when it does not exist. */
  size(key: string): Promise<number>;
  /** Removes the object; a missing key is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix (tests and orphan checks). */
  list(prefix: string): Promise<string[]>;
  /** Throws when the storage cannot be reached (readiness). */
  ping(): Promise<void>;
}
