import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KyselyJobRepository } from '../jobs/kysely-job.repository';
import { newJobFactory } from '../test-support';
import { createDatabase } from './create-database';
import type { Db } from './database';
import { migrate } from './migrate';

/** The embedded database: PGlite behind Kysely through the single-holder pool. One instance per file. */
describe('embedded PGlite database', () => {
  let dataDir: string;
  let db: Db;
  let repo: KyselyJobRepository;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'video-jobs-embedded-'));
    db = await createDatabase({ DATA_DIR: dataDir, DATABASE_URL: undefined });
    await migrate(db);
    repo = new KyselyJobRepository(db);
  });
  afterAll(async () => {
    await db.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is created under DATA_DIR/db when DATABASE_URL is unset', () => {
    expect(existsSync(path.join(dataDir, 'db', 'PG_VERSION'))).toBe(true);
  });

  it("never runs another request's statement inside an open transaction", async () => {
    const insideTrx = newJobFactory();
    const outside = newJobFactory();
    let outsideDone = false;
    const trx = db
      .transaction()
      .execute(async (tx) => {
        await tx.insertInto('jobs').values(insideTrx).execute();
        // While this transaction is open, another request writes through `db`.
        void repo.create(outside).then(() => (outsideDone = true));
        await sleep(100);
        expect(outsideDone).toBe(false);
        throw new Error('roll back');
      })
      .catch((err: Error) => err.message);
    expect(await trx).toBe('roll back');
    // Had the other insert run in the transaction's session, the rollback would have undone it.
    await sleep(10);
    expect(outsideDone).toBe(true);
    expect(await repo.get(outside.job_id)).toBeDefined();
    expect(await repo.get(insideTrx.job_id)).toBeUndefined();
  });

  it('serves many concurrent queries one holder at a time without losing any', async () => {
    const jobs = Array.from({ length: 30 }, () => newJobFactory());
    await Promise.all(jobs.map((j) => repo.create(j)));
    const found = await Promise.all(jobs.map((j) => repo.get(j.job_id)));
    expect(found.every((f) => f !== undefined)).toBe(true);
  });

  it('keeps its data across a close and reopen of the same directory, and closes cleanly', async () => {
    const job = await repo.create(newJobFactory());
    // A transaction holding the connection when destroy() is called commits first.
    const late = newJobFactory();
    const trx = db.transaction().execute(async (tx) => {
      await sleep(100);
      await tx.insertInto('jobs').values(late).execute();
    });
    await sleep(20);
    await db.destroy();
    await expect(trx).resolves.toBeUndefined();
    await expect(repo.get(job.job_id)).rejects.toThrow();

    db = await createDatabase({ DATA_DIR: dataDir, DATABASE_URL: undefined });
    repo = new KyselyJobRepository(db);
    expect(await migrate(db)).toEqual([]);
    expect(await repo.get(job.job_id)).toMatchObject({ job_id: job.job_id, status: 'pending' });
    expect(await repo.get(late.job_id)).toBeDefined();
  });
});
