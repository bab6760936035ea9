import { AppError } from '../errors';
import type { JobQueue, WaitingSnapshot } from './job-queue';

type Waiter = (jobId: string | null) => void;

/**
 * The in-process queue of the embedded default (REDIS_URL unset): FIFO, and a blocked dequeue is
 * handed the next id by enqueue() directly, so nothing polls. Its contents die with the process;
 * on start the worker re-enqueues every pending job from the database. An id already waiting is
 * not added again, so a requeue or a restart recovery never multiplies the backlog.
 */
export class MemoryQueue implements JobQueue {
  private readonly items: string[] = [];
  /** The ids in `items`, for the duplicate check. */
  private readonly waiting = new Set<string>();
  private readonly dead: string[] = [];
  /** Blocked dequeues, oldest first. */
  private readonly waiters: Waiter[] = [];
  private closed = false;

  async enqueue(jobId: string): Promise<void> {
    if (this.closed) throw new AppError('the queue is closed');
    const waiter = this.waiters.shift();
    if (waiter) waiter(jobId);
    else if (!this.waiting.has(jobId)) {
      this.waiting.add(jobId);
      this.items.push(jobId);
    }
  }

  dequeue(timeoutMs: number): Promise<string | null> {
    if (this.closed) return Promise.resolve(null);
    const next = this.items.shift();
    if (next !== undefined) {
      this.waiting.delete(next);
      return Promise.resolve(next);
    }
    if (timeoutMs <= 0) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter = (jobId) => {
        clearTimeout(timer);
        resolve(jobId);
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(null);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async size(): Promise<number> {
    return this.items.length;
  }

  async listWaiting(): Promise<WaitingSnapshot> {
    const ids = new Set(this.items);
    return {
      contains: async (jobIds) => jobIds.map((id) => ids.has(id)),
      dispose: async () => ids.clear(),
    };
  }

  async pushDead(jobId: string): Promise<void> {
    if (this.closed) throw new AppError('the queue is closed');
    this.dead.push(jobId);
  }

  async deadSize(): Promise<number> {
    return this.dead.length;
  }

  async ping(): Promise<void> {
    if (this.closed) throw new AppError('the queue is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(null);
  }
}
