import type { Logger } from 'winston';
import type { JobQueue } from '../queue/job-queue';
import type { JobRepository, PendingCursor } from './job.repository';

export interface PendingRequeueDeps {
  jobs: JobRepository;
  queue: JobQueue;
  logger: Logger;
}

/** Pending jobs compared with the queue per round trip. */
const PAGE = 1_000;

/**
 * The requeue half of maintenance (DESIGN §4, §12): a pending job whose id the queue lost (an
 * LPUSH lost between commit and Redis, a Redis restarted empty, FLUSHALL) is pushed again, and a
 * pending id that is still waiting is not, so the queue never multiplies its backlog.
 *
 * Usual pass: COUNT pending (an index range) and LLEN; while the list holds at least as many
 * entries as there are pending jobs nothing can be missing, apart from a duplicate hiding a
 * loss, which shows up as soon as the duplicate is popped. Only a short list pays for the diff:
 * a snapshot of the list, then the stale pending jobs (untouched for requeueMs, so a submit
 * between its commit and its LPUSH is left alone) in pages of 1,000, each page asked of the
 * snapshot, and the missing ones claimed with one UPDATE (so two workers do not both push them)
 * and pushed. Returns how many ids were pushed.
 */
export async function requeueMissing(deps: PendingRequeueDeps, requeueMs: number): Promise<number> {
  const { jobs, queue, logger } = deps;
  const pending = await jobs.countPending();
  if (pending === 0) return 0;
  const waiting = await queue.size();
  if (waiting >= pending) return 0;

  const snapshot = await queue.listWaiting();
  let pushed = 0;
  try {
    let after: PendingCursor | undefined;
    for (;;) {
      const page = await jobs.pageStalePending(requeueMs, after, PAGE);
      if (page.length === 0) break;
      after = page[page.length - 1];
      const ids = page.map((r) => r.job_id);
      const present = await snapshot.contains(ids);
      const missing = ids.filter((_, i) => !present[i]);
      if (missing.length > 0) {
        for (const jobId of await jobs.markRequeued(missing, requeueMs)) {
          await queue.enqueue(jobId);
          pushed++;
        }
      }
      if (page.length < PAGE) break;
    }
  } finally {
    await snapshot.dispose();
  }
  if (pushed > 0) logger.info('pending jobs missing from the queue requeued', { requeued: pushed, pending, waiting });
  return pushed;
}
