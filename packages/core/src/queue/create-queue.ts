import type { Config } from '../config';
import type { Logger } from '../logger';
import type { JobQueue } from './job-queue';
import { MemoryQueue } from './memory.queue';
import { RedisQueue } from './redis.queue';

/** REDIS_URL set: the shared Redis list. Unset: an in-process queue (embedded default). */
export function createQueue(
  config: Pick<Config, 'REDIS_URL' | 'QUEUE_PREFIX' | 'WORKER_ID'>,
  logger?: Logger,
): JobQueue {
  if (!config.REDIS_URL) return new MemoryQueue();
  return new RedisQueue({
    url: config.REDIS_URL,
    prefix: config.QUEUE_PREFIX,
    name: `video-jobs:${config.WORKER_ID}`,
    logger,
  });
}
