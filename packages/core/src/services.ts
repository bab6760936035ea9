import type { Kysely } from 'kysely';
import type { Config } from './config';
import { createDatabase } from './db/create-database';
import type { Database } from './db/database';
import { migrate } from './db/migrate';
import { KyselyJobRepository } from './jobs/kysely-job.repository';
import type { JobRepository } from './jobs/job.repository';
import type { Logger } from './logger';
import { createQueue } from './queue/create-queue';
import type { JobQueue } from './queue/job-queue';
import { createStorage } from './storage/create-storage';
import type { ObjectStorage } from './storage/object-storage';

/** The outside systems both apps need, built from config: the one place they are chosen. */
export interface CoreServices {
  db: Kysely<Database>;
  jobs: JobRepository;
  queue: JobQueue;
  storage: ObjectStorage;
  /** Closes the queue and the database; every step runs even when one fails. */
  close(): Promise<void>;
}

export async function createCoreServices(config: Config, logger: Logger): Promise<CoreServices> {
  const db = await createDatabase(config, logger);
  try {
    const applied = await migrate(db);
    if (applied.length > 0) logger.info('database migrated', { migrations: applied });
  } catch (err) {
    await db.destroy();
    throw err;
  }
  const queue = createQueue(config, logger);
  const storage = createStorage(config, logger);
  let closing: Promise<void> | undefined;
  return {
    db,
    jobs: new KyselyJobRepository(db),
    queue,
    storage,
    close() {
      closing ??= (async () => {
        const results = await Promise.allSettled([queue.close()]);
        results.push(...(await Promise.allSettled([db.destroy()])));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      })();
      return closing;
    },
  };
}
