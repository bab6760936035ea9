/**
 * The ids waiting in a queue at one moment: the requeue pass asks it which pending jobs are
 * missing from the queue, a page at a time, so it never holds a whole backlog in memory.
 */
export interface WaitingSnapshot {
  /** For each id, whether it was waiting when the snapshot was taken. */
  contains(jobIds: readonly string[]): Promise<boolean[]>;
  /** Frees what the snapshot holds; idempotent. */
  dispose(): Promise<void>;
}

/**
 * Carries bare job ids (DESIGN §4). At-least-once: the database decides whether an id is still work.
 */
export interface JobQueue {
  enqueue(jobId: string): Promise<void>;
  /** The next id, or null when none arrives within timeoutMs. */
  dequeue(timeoutMs: number): Promise<string | null>;
  /** Entries waiting (duplicates count twice). */
  size(): Promise<number>;
  /** A snapshot of the waiting ids, for finding pending jobs the queue lost (requeue). */
  listWaiting(): Promise<WaitingSnapshot>;
  pushDead(jobId: string): Promise<void>;
  deadSize(): Promise<number>;
  /** Throws when the queue cannot be reached (readiness). */
  ping(): Promise<void>;
  /** Idempotent; a dequeue blocked in close() returns null. */
  close(): Promise<void>;
}
