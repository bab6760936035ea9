import { type Kysely, sql } from 'kysely';
import { KyselyJobRepository } from '../jobs/kysely-job.repository';
import { createTestDatabase, createTestPglite, newJobFactory } from '../test-support';
import type { Database } from './database';
import { migrate } from './migrate';
import { migrations } from './migrations';

/**
 * The job_counts triggers of migration 0003 against the truth, count(*) over jobs, on both real
 * databases: after single and bulk inserts, every status change the lifecycle makes, statements
 * that change no status, deletes, truncate and racing writers.
 */
const backends: Array<[string, () => Promise<{ db: Kysely<Database>; destroy: () => Promise<void> }>]> = [
  ['Postgres', createTestDatabase],
  ['PGlite', createTestPglite],
];

describe.each(backends)('job_counts on %s', (_name, open) => {
  let db: Kysely<Database>;
  let destroy: () => Promise<void>;
  let repo: KyselyJobRepository;

  beforeAll(async () => {
    ({ db, destroy } = await open());
    repo = new KyselyJobRepository(db);
  });
  afterAll(() => destroy());
  beforeEach(() => db.deleteFrom('jobs').execute());

  /** What the counters must say: a count over the table itself. */
  async function truth() {
    const rows = await db
      .selectFrom('jobs')
      .select(['status', sql<number>`count(*)::int`.as('n')])
      .groupBy('status')
      .execute();
    const counts = { pending: 0, running: 0, completed: 0, failed: 0 };
    for (const r of rows) counts[r.status] = Number(r.n);
    return counts;
  }
  const expectCountsRight = async () => expect(await repo.countByStatus()).toEqual(await truth());

  it('follows inserts, every lifecycle transition and deletes', async () => {
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push((await repo.create(newJobFactory())).job_id);
    await expectCountsRight();
    for (const id of ids.slice(0, 5)) await repo.claim(id, 'w');
    await repo.heartbeat(ids[0], 'w');
    await repo.complete(ids[0], 'w', 'out');
    await repo.complete(ids[1], 'w', 'out');
    await repo.fail(ids[2], 'w', 'bad');
    await repo.release(ids[3], 'w');
    await expectCountsRight();
    expect(await repo.countByStatus()).toEqual({ pending: 2, running: 1, completed: 2, failed: 1 });
    expect(await repo.countPending()).toBe(2);
    await repo.delete(ids[0]);
    await repo.delete(ids[5]);
    await expectCountsRight();
    expect(await repo.countByStatus()).toEqual({ pending: 1, running: 1, completed: 1, failed: 1 });
  });

  it('follows multi-row statements with mixed transitions, and ignores ones that change no status', async () => {
    await sql`insert into jobs (job_id, status, input_path, pipeline_id)
      select gen_random_uuid(), (array['pending','running','completed','failed'])[1 + g % 4], 'k', 'yolo'
      from generate_series(1, 400) as g`.execute(db);
    await expectCountsRight();
    // The reaper's statements: many running rows at once, to pending and to failed.
    await sql`update jobs set updated_at = now() - interval '1 hour' where status = 'running'`.execute(db);
    await db.updateTable('jobs').set({ attempts: 3 }).where('status', '=', 'running').execute();
    await sql`update jobs set attempts = 1 where job_id in (select job_id from jobs where status = 'running' limit 40)`.execute(
      db,
    );
    await repo.reapExpired(60_000, 3);
    await expectCountsRight();
    // One statement moving rows from several statuses to several others.
    await sql`update jobs set status = case status when 'pending' then 'completed' when 'completed' then 'failed'
      else 'pending' end`.execute(db);
    await expectCountsRight();
    await sql`update jobs set error_message = 'x'`.execute(db);
    await expectCountsRight();
    await sql`delete from jobs where status in ('failed', 'pending')`.execute(db);
    await expectCountsRight();
  });

  it('counts an insert or update that a constraint rolls back as nothing', async () => {
    const job = await repo.create(newJobFactory());
    await expect(repo.create(newJobFactory({ job_id: job.job_id }))).rejects.toThrow();
    await expect(sql`update jobs set status = 'paused' where job_id = ${job.job_id}`.execute(db)).rejects.toThrow();
    await expectCountsRight();
    expect((await repo.countByStatus()).pending).toBe(1);
  });

  it('zeroes on truncate', async () => {
    for (let i = 0; i < 3; i++) await repo.create(newJobFactory());
    await sql`truncate jobs`.execute(db);
    expect(await repo.countByStatus()).toEqual({ pending: 0, running: 0, completed: 0, failed: 0 });
    await repo.create(newJobFactory());
    await expectCountsRight();
  });

  it('stays exact under racing creates, claims and finishes', async () => {
    const created = await Promise.all(Array.from({ length: 40 }, () => repo.create(newJobFactory())));
    await Promise.all(
      created.flatMap((job, i) => [
        (async () => {
          // Two workers race for each job; the winner finishes it.
          const [a, b] = await Promise.all([repo.claim(job.job_id, 'a'), repo.claim(job.job_id, 'b')]);
          const owner = a ? 'a' : b ? 'b' : undefined;
          if (owner && i % 2 === 0) await repo.complete(job.job_id, owner, 'out');
          else if (owner && i % 3 === 0) await repo.fail(job.job_id, owner, 'bad');
        })(),
        repo.create(newJobFactory()),
      ]),
    );
    await expectCountsRight();
    expect(Object.values(await repo.countByStatus()).reduce((a, b) => a + b, 0)).toBe(80);
  });

  it('starts from the rows already in the table when the migration runs', async () => {
    // Back to 0002 with jobs in the table, as an upgrade finds it (this also runs down()).
    await migrations['0003_job_counts_and_retention'].down?.(db as Kysely<unknown>);
    await sql`delete from kysely_migration where name = '0003_job_counts_and_retention'`.execute(db);
    await sql`insert into jobs (job_id, status, input_path, pipeline_id)
      select gen_random_uuid(), (array['pending','completed','completed','failed'])[1 + g % 4], 'k', 'yolo'
      from generate_series(1, 100) as g`.execute(db);

    expect(await migrate(db, migrations)).toEqual(['0003_job_counts_and_retention']);
    expect(await migrate(db, migrations)).toEqual([]);
    expect(await repo.countByStatus()).toEqual({ pending: 25, running: 0, completed: 50, failed: 25 });
    await repo.create(newJobFactory());
    await expectCountsRight();
  });
});
