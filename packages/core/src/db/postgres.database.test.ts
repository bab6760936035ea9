import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { KyselyJobRepository } from '../jobs/kysely-job.repository';
import { createLogger } from '../logger';
import { createTestDatabase, newJobFactory, type TestDatabase } from '../test-support';
import { createPostgresDb } from './postgres.database';

describe('createPostgresDb', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase();
  });
  afterAll(() => test.destroy());

  it('keeps working, and reports it, when Postgres terminates its idle connections', async () => {
    const logged: string[] = [];
    const logger = createLogger('info', {
      stream: new PassThrough().on('data', (l: Buffer) => logged.push(String(l))),
    });
    const db = createPostgresDb(test.url, { logger });
    try {
      const repo = new KyselyJobRepository(db);
      // Open several pooled connections, then let them go idle.
      await Promise.all(Array.from({ length: 4 }, () => sql`select pg_sleep(0.05)`.execute(db)));
      const name = new URL(test.url).pathname.slice(1);
      // What a Postgres restart or an operator's pg_terminate_backend does to them.
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`.execute(
        test.db,
      );
      await sleep(200);
      const job = await repo.create(newJobFactory());
      expect(await repo.get(job.job_id)).toMatchObject({ job_id: job.job_id });
      expect(logged.join('')).toMatch(/idle database connection lost/);
    } finally {
      await db.destroy();
    }
  });

  it('survives Postgres terminating a connection that is checked out between queries', async () => {
    const db = createPostgresDb(test.url, { logger: createLogger('error', { silent: true }) });
    try {
      // Between a query's answer and the connection's release, the pool does not listen to it:
      // the moment a restart usually finds a busy API (node-postgres#2439).
      await db.connection().execute(async (conn) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(conn);
        await sql`select pg_terminate_backend(${rows[0].pid})`.execute(test.db);
        await sleep(300);
      });
      await sleep(100);
      expect((await sql<{ one: number }>`select 1 as one`.execute(db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.destroy();
    }
  });
});
