import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { dockerReachable } from './docker';

export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

let container: Promise<string> | undefined;

/**
 * TEST_REDIS_URL; else, when Docker answers, one @testcontainers/redis container per test
 * process; else the machine's Redis. The Redis may be shared with other test runs: use
 * uniquePrefix() for every key and deleteKeys() afterwards, never FLUSHALL.
 */
export async function testRedisUrl(): Promise<string> {
  if (process.env.TEST_REDIS_URL) return process.env.TEST_REDIS_URL;
  if (!(await dockerReachable())) return DEFAULT_TEST_REDIS_URL;
  container ??= (async () => {
    const { RedisContainer } = await import('@testcontainers/redis');
    const started = await new RedisContainer('redis:7-alpine').start();
    return started.getConnectionUrl();
  })();
  return container;
}

/** A key prefix no other test uses, e.g. `test:queue:3f2a…:` (BullMQ names test queues the same way). */
export function uniquePrefix(label = 'test'): string {
  return `test:${label}:${randomUUID()}:`;
}

/** Deletes every key under prefix (SCAN, not KEYS, so a shared Redis is not blocked). */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<number> {
  if (!prefix) throw new Error('deleteKeys needs a non-empty prefix');
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}
