import type { Readable } from 'node:stream';

/** Keys of DESIGN §5; the client's filename is never part of a key. */
export const inputKey = (jobId: string) => `video_jobs/${jobId}.mp4`;
export const resultsKey = (jobId: string) => `video_jobs/${jobId}_results.json`;

/** Videos and results. put() streams; nothing is buffered whole in memory. */
export interface ObjectStorage {
  /** Stores the stream under key; a failed or aborted stream leaves no object under key. */
  put(key: string, body: Readable): Promise<{ bytes: number }>;
  /** A stream of the object; NotFoundError when it does not exist. */
  get(key: string): Promise<Readable>;
  /** Removes the object; a missing key is not an error. */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix (tests and orphan checks). */
  list(prefix: string): Promise<string[]>;
  /** Throws when the storage cannot be reached (readiness). */
  ping(): Promise<void>;
}
