import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig } from './config';
import { createDatabase } from './db/create-database';
import { KyselyJobRepository } from './jobs/kysely-job.repository';
import { createQueue } from './queue/create-queue';
import { MemoryQueue } from './queue/memory.queue';
import { RedisQueue } from './queue/redis.queue';
import { createStorage } from './storage/create-storage';
import { LocalStorage } from './storage/local.storage';
import { S3Storage } from './storage/s3.storage';
import { createTestDatabase, newJobFactory, testRedisUrl, uniquePrefix } from './test-support';

/** The factories pick the implementation the configuration names (DESIGN §8). */
describe('factories', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'video-jobs-factories-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('createQueue gives the in-memory queue without REDIS_URL and the Redis list with it', async () => {
    expect(createQueue(loadConfig({}))).toBeInstanceOf(MemoryQueue);
    const url = await testRedisUrl();
    const queue = createQueue(loadConfig({ REDIS_URL: url, QUEUE_PREFIX: uniquePrefix('factory') }));
    try {
      expect(queue).toBeInstanceOf(RedisQueue);
      expect(await queue.size()).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it('createStorage gives files under DATA_DIR/objects for STORAGE=local, S3 for STORAGE=s3', async () => {
    const local = createStorage(loadConfig({ DATA_DIR: dataDir }));
    expect(local).toBeInstanceOf(LocalStorage);
    await local.put('video_jobs/a.json', Readable.from([Buffer.from('{}')]));
    expect(existsSync(path.join(dataDir, 'objects', 'video_jobs', 'a.json'))).toBe(true);
    const s3 = createStorage(loadConfig({ STORAGE: 's3', S3_BUCKET: 'bucket', S3_ENDPOINT: 'http://127.0.0.1:9' }));
    expect(s3).toBeInstanceOf(S3Storage);
  });

  it('createDatabase connects to Postgres when DATABASE_URL is set', async () => {
    const test = await createTestDatabase();
    const db = await createDatabase(loadConfig({ DATABASE_URL: test.url, DATA_DIR: dataDir }));
    try {
      const job = await new KyselyJobRepository(db).create(newJobFactory());
      // The row is in the test's Postgres database, not in an embedded one.
      expect(await new KyselyJobRepository(test.db).get(job.job_id)).toBeDefined();
      expect(existsSync(path.join(dataDir, 'db'))).toBe(false);
    } finally {
      await db.destroy();
      await test.destroy();
    }
  });
});
