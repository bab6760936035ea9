/**
 * Carries bare job ids (DESIGN §4). At-least-once: the database decides whether an id is still work.
 */
export interface JobQueue {
  enqueue(jobId: string): Promise<void>;
  /** The next id, or null when none arrives within timeoutMs. */
  dequeue(timeoutMs: number): Promise<string | null>;
  size(): Promise<number>;
  pushDead(jobId: string): Promise<void>;
  deadSize(): Promise<number>;
  /** Throws when the queue cannot be reached (readiness). */
  ping(): Promise<void>;
  /** Idempotent; a dequeue blocked in close() returns null. */
  close(): Promise<void>;
}
