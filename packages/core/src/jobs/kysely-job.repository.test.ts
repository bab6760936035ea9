import { randomUUID } from 'node:crypto';
import { CompiledQuery, type Kysely, sql } from 'kysely';
import type { Database } from '../db/database';
import { migrate } from '../db/migrate';
import { createTestDatabase, createTestPglite, newJobFactory } from '../test-support';
import { rangeQuery } from './job-listing';
import { KyselyJobRepository } from './kysely-job.repository';

/**
 * One suite, two real databases: the machine's Postgres (a fresh database for this file) and an
 * embedded PGlite (one instance for this file; opening it takes a few seconds).
 */
const backends: Array<[string, () => Promise<{ db: Kysely<Database>; destroy: () => Promise<void> }>]> = [
  ['Postgres', createTestDatabase],
  ['PGlite', createTestPglite],
];

describe.each(backends)('KyselyJobRepository on %s', (_name, open) => {
  let db: Kysely<Database>;
  let destroy: () => Promise<void>;
  let repo: KyselyJobRepository;

  beforeAll(async () => {
    ({ db, destroy } = await open());
    repo = new KyselyJobRepository(db);
  });
  afterAll(() => destroy());

  const createPending = () => repo.create(newJobFactory());
  /** Moves updated_at into the past, as if the job had not been touched for `ms`. */
  const backdate = (jobId: string, ms: number) =>
    sql`update jobs set updated_at = now() - ${ms}::double precision * interval '1 millisecond' where job_id = ${jobId}`.execute(
      db,
    );
  const claimed = async (workerId = 'worker-a') => {
    const job = await createPending();
    expect(await repo.claim(job.job_id, workerId)).toBeDefined();
    return job.job_id;
  };

  describe('migrate', () => {
    it('is harmless when run again on a migrated database', async () => {
      const job = await createPending();
      await expect(migrate(db)).resolves.toEqual([]);
      await expect(migrate(db)).resolves.toEqual([]);
      expect(await repo.get(job.job_id)).toMatchObject({ job_id: job.job_id });
    });
  });

  describe('create and get', () => {
    it('stores a pending job with the table defaults and reads it back', async () => {
      const created = await repo.create(newJobFactory({ owner: 'key-hash', max_frames: 10 }));
      expect(created).toMatchObject({
        status: 'pending',
        attempts: 0,
        frame_stride: 1,
        max_frames: 10,
        locked_by: null,
        owner: 'key-hash',
        output_path: null,
        error_message: null,
      });
      expect(created.created_at).toBeInstanceOf(Date);
      expect(created.updated_at).toBeInstanceOf(Date);
      expect(await repo.get(created.job_id)).toEqual(created);
    });

    it('returns undefined for an unknown id', async () => {
      expect(await repo.get(randomUUID())).toBeUndefined();
    });

    it.each(['', 'abc', 'not-a-uuid', `${randomUUID()}x`, "1' or '1'='1", '{6f1c1a52-3b7e-4b8e-9f55-0a6f0d3e2c11}'])(
      'treats the malformed id %p as not found in every method, without a database error',
      async (bad) => {
        expect(await repo.get(bad)).toBeUndefined();
        expect(await repo.claim(bad, 'w')).toBeUndefined();
        expect(await repo.heartbeat(bad, 'w')).toBe(false);
        expect(await repo.complete(bad, 'w', 'k')).toBe(false);
        expect(await repo.fail(bad, 'w', 'm')).toBe(false);
        expect(await repo.release(bad, 'w')).toBe(false);
        await expect(repo.delete(bad)).resolves.toBeUndefined();
      },
    );

    it('deletes a job', async () => {
      const job = await createPending();
      await repo.delete(job.job_id);
      expect(await repo.get(job.job_id)).toBeUndefined();
    });
  });

  describe('table constraints', () => {
    it('rejects a fifth status', async () => {
      const job = await createPending();
      await expect(sql`update jobs set status = 'cancelled' where job_id = ${job.job_id}`.execute(db)).rejects.toThrow(
        /jobs_status_check/,
      );
      expect((await repo.get(job.job_id))?.status).toBe('pending');
    });

    it('rejects a frame_stride or max_frames below 1', async () => {
      await expect(repo.create(newJobFactory({ frame_stride: 0 }))).rejects.toThrow(/jobs_frame_stride_check/);
      await expect(repo.create(newJobFactory({ max_frames: 0 }))).rejects.toThrow(/jobs_max_frames_check/);
    });
  });

  describe('claim', () => {
    it('lets exactly one of 20 racing workers win', async () => {
      const job = await createPending();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => repo.claim(job.job_id, `worker-${i}`)));
      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      const row = await repo.get(job.job_id);
      expect(row).toMatchObject({ status: 'running', attempts: 1, locked_by: winners[0]?.locked_by });
    });

    it('moves pending to running for the worker, counts the attempt and touches updated_at', async () => {
      const job = await createPending();
      await backdate(job.job_id, 60_000);
      const before = (await repo.get(job.job_id))!.updated_at;
      const row = await repo.claim(job.job_id, 'worker-a');
      expect(row).toMatchObject({ job_id: job.job_id, status: 'running', attempts: 1, locked_by: 'worker-a' });
      expect(row!.updated_at.getTime()).toBeGreaterThan(before.getTime());
    });

    it('skips a job that is not pending (a duplicate or stale id)', async () => {
      const jobId = await claimed('worker-a');
      expect(await repo.claim(jobId, 'worker-b')).toBeUndefined();
      expect(await repo.get(jobId)).toMatchObject({ locked_by: 'worker-a', attempts: 1 });
    });
  });

  describe('heartbeat', () => {
    it('touches updated_at for the owner', async () => {
      const jobId = await claimed('worker-a');
      await backdate(jobId, 30_000);
      const before = (await repo.get(jobId))!.updated_at;
      expect(await repo.heartbeat(jobId, 'worker-a')).toBe(true);
      expect((await repo.get(jobId))!.updated_at.getTime()).toBeGreaterThan(before.getTime());
    });

    it('affects nothing when sent by a worker that does not hold the job', async () => {
      const jobId = await claimed('worker-a');
      await backdate(jobId, 30_000);
      const before = await repo.get(jobId);
      expect(await repo.heartbeat(jobId, 'worker-b')).toBe(false);
      expect(await repo.get(jobId)).toEqual(before);
    });

    it('reports the lease lost once the job is no longer running', async () => {
      const jobId = await claimed('worker-a');
      expect(await repo.complete(jobId, 'worker-a', 'results.json')).toBe(true);
      expect(await repo.heartbeat(jobId, 'worker-a')).toBe(false);
    });
  });

  describe('complete, fail and release', () => {
    it('completes a job only for its owner, with the results key', async () => {
      const jobId = await claimed('worker-a');
      const before = await repo.get(jobId);
      expect(await repo.complete(jobId, 'worker-b', 'other.json')).toBe(false);
      expect(await repo.get(jobId)).toEqual(before);
      expect(await repo.complete(jobId, 'worker-a', 'video_jobs/x_results.json')).toBe(true);
      expect(await repo.get(jobId)).toMatchObject({ status: 'completed', output_path: 'video_jobs/x_results.json' });
    });

    it('cannot finish a job twice', async () => {
      const jobId = await claimed('worker-a');
      expect(await repo.complete(jobId, 'worker-a', 'a.json')).toBe(true);
      expect(await repo.complete(jobId, 'worker-a', 'b.json')).toBe(false);
      expect(await repo.fail(jobId, 'worker-a', 'late failure')).toBe(false);
      expect(await repo.get(jobId)).toMatchObject({ status: 'completed', output_path: 'a.json', error_message: null });
    });

    it('fails a job only for its owner, with the message', async () => {
      const jobId = await claimed('worker-a');
      expect(await repo.fail(jobId, 'worker-b', 'nope')).toBe(false);
      expect((await repo.get(jobId))?.status).toBe('running');
      expect(await repo.fail(jobId, 'worker-a', 'no video stream')).toBe(true);
      expect(await repo.get(jobId)).toMatchObject({ status: 'failed', error_message: 'no video stream' });
    });

    it('releases a job back to pending only for its owner, so another worker can claim it', async () => {
      const jobId = await claimed('worker-a');
      expect(await repo.release(jobId, 'worker-b')).toBe(false);
      expect((await repo.get(jobId))?.status).toBe('running');
      expect(await repo.release(jobId, 'worker-a')).toBe(true);
      expect(await repo.get(jobId)).toMatchObject({ status: 'pending', locked_by: null });
      expect(await repo.claim(jobId, 'worker-b')).toMatchObject({ locked_by: 'worker-b', attempts: 2 });
    });

    it('gives back the attempt its claim counted when released with refundAttempt (storage full or unreachable)', async () => {
      const jobId = await claimed('worker-a');
      expect(await repo.release(jobId, 'worker-b', { refundAttempt: true })).toBe(false);
      expect(await repo.get(jobId)).toMatchObject({ status: 'running', attempts: 1 });
      expect(await repo.release(jobId, 'worker-a', { refundAttempt: true })).toBe(true);
      expect(await repo.get(jobId)).toMatchObject({ status: 'pending', locked_by: null, attempts: 0 });
      expect(await repo.claim(jobId, 'worker-b')).toMatchObject({ locked_by: 'worker-b', attempts: 1 });
    });
  });

  describe('reapExpired', () => {
    const lease = 1_000;

    it('moves a running job whose lease expired back to pending, and leaves fresh ones alone', async () => {
      const expired = await claimed('worker-a');
      const fresh = await claimed('worker-b');
      await backdate(expired, lease * 5);
      const result = await repo.reapExpired(lease, 3);
      expect(result.requeued).toContain(expired);
      expect(result.requeued).not.toContain(fresh);
      expect(result.failed).not.toContain(expired);
      expect(await repo.get(expired)).toMatchObject({ status: 'pending', locked_by: null, attempts: 1 });
      expect(await repo.get(fresh)).toMatchObject({ status: 'running', locked_by: 'worker-b' });
      // The reaped job's worker has lost its lease: it can no longer write.
      expect(await repo.complete(expired, 'worker-a', 'late.json')).toBe(false);
    });

    it('fails the job once it has been lost MAX_ATTEMPTS times', async () => {
      const job = await createPending();
      for (let attempt = 1; attempt <= 3; attempt++) {
        expect(await repo.claim(job.job_id, `worker-${attempt}`)).toMatchObject({ attempts: attempt });
        await backdate(job.job_id, lease * 5);
        const result = await repo.reapExpired(lease, 3);
        if (attempt < 3) {
          expect(result.requeued).toContain(job.job_id);
          expect((await repo.get(job.job_id))?.status).toBe('pending');
        } else {
          expect(result.failed).toContain(job.job_id);
          expect(result.requeued).not.toContain(job.job_id);
        }
      }
      expect(await repo.get(job.job_id)).toMatchObject({
        status: 'failed',
        attempts: 3,
        error_message: 'worker lost the job 3 times',
      });
      expect(await repo.claim(job.job_id, 'worker-4')).toBeUndefined();
    });

    it('touches only running jobs', async () => {
      const pending = await createPending();
      const done = await claimed('worker-a');
      await repo.complete(done, 'worker-a', 'r.json');
      await backdate(pending.job_id, lease * 5);
      await backdate(done, lease * 5);
      const result = await repo.reapExpired(lease, 3);
      expect([...result.requeued, ...result.failed]).not.toEqual(expect.arrayContaining([pending.job_id]));
      expect([...result.requeued, ...result.failed]).not.toEqual(expect.arrayContaining([done]));
      expect((await repo.get(done))?.status).toBe('completed');
    });
  });

  describe('pageStalePending, markRequeued and countPending', () => {
    it('pages stale pending jobs oldest first, exactly, ties broken by id, and skips fresh ones', async () => {
      await db.deleteFrom('jobs').execute();
      const stale = [await createPending(), await createPending(), await createPending()].map((j) => j.job_id);
      const fresh = await createPending();
      // Two of them share one updated_at to the microsecond: the cursor must not lose or repeat either.
      await sql`update jobs set updated_at = now() - interval '1 minute' where job_id in (${stale[0]}, ${stale[1]})`.execute(
        db,
      );
      await backdate(stale[2], 120_000);
      const first = await repo.pageStalePending(30_000, undefined, 2);
      const second = await repo.pageStalePending(30_000, first[1], 2);
      const seen = [...first, ...second].map((r) => r.job_id);
      expect(seen[0]).toBe(stale[2]);
      expect(seen.sort()).toEqual([...stale].sort());
      expect(await repo.pageStalePending(30_000, second[second.length - 1], 2)).toEqual([]);
      expect(seen).not.toContain(fresh.job_id);
      expect(await repo.countPending()).toBe(4);
    });

    it('marks each stale pending id requeued once, by bumping updated_at', async () => {
      const stale = await createPending();
      const recent = await createPending();
      const running = await claimed();
      await backdate(stale.job_id, 60_000);
      await backdate(running, 60_000);
      const ids = [stale.job_id, recent.job_id, running, 'not-an-id'];
      expect(await repo.markRequeued(ids, 30_000)).toEqual([stale.job_id]);
      expect(await repo.markRequeued(ids, 30_000)).toEqual([]);
      expect(await repo.markRequeued([], 30_000)).toEqual([]);
    });
  });

  describe('listPending and countByStatus', () => {
    it('lists pending ids oldest first and counts jobs by status, zero for absent statuses', async () => {
      await db.deleteFrom('jobs').execute();
      const a = await createPending();
      const b = await createPending();
      await sql`update jobs set created_at = now() - interval '1 minute' where job_id = ${b.job_id}`.execute(db);
      const running = await claimed('worker-a');
      expect(await repo.listPending()).toEqual([b.job_id, a.job_id]);
      expect(await repo.countByStatus()).toEqual({ pending: 2, running: 1, completed: 0, failed: 0 });
      await repo.fail(running, 'worker-a', 'x');
      expect(await repo.countByStatus()).toEqual({ pending: 2, running: 0, completed: 0, failed: 1 });
    });
  });

  describe('createIdempotent', () => {
    const keyed = (owner: string | null, key: string, hash = 'h1') =>
      ({ ...newJobFactory({ owner }), idempotency_key: key, request_hash: hash }) as const;

    it('creates a job for a new key and answers the same job for the key again', async () => {
      const owner = `owner-${randomUUID()}`;
      const first = await repo.createIdempotent(keyed(owner, 'k1'), 60_000);
      expect(first.created).toBe(true);
      const second = keyed(owner, 'k1', 'h2');
      const again = await repo.createIdempotent(second, 60_000);
      expect(again).toMatchObject({ created: false, job: { job_id: first.job.job_id, request_hash: 'h1' } });
      expect(await repo.get(second.job_id)).toBeUndefined();
    });

    it('keeps key spaces apart per owner, and shares one among open-mode (null owner) callers', async () => {
      const key = `k-${randomUUID()}`;
      const a = await repo.createIdempotent(keyed('owner-a', key), 60_000);
      const b = await repo.createIdempotent(keyed('owner-b', key), 60_000);
      expect(a.created && b.created).toBe(true);
      const open1 = await repo.createIdempotent(keyed(null, key), 60_000);
      const open2 = await repo.createIdempotent(keyed(null, key), 60_000);
      expect(open1.created).toBe(true);
      expect(open2).toMatchObject({ created: false, job: { job_id: open1.job.job_id } });
    });

    it('makes exactly one job of 20 racing creates with one key', async () => {
      const owner = `owner-${randomUUID()}`;
      const results = await Promise.all(
        Array.from({ length: 20 }, () => repo.createIdempotent(keyed(owner, 'race'), 60_000)),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.job.job_id)).size).toBe(1);
      const page = await repo.list({ owner, statuses: [], limit: 100 });
      expect(page.jobs).toHaveLength(1);
    });

    it('frees a key once its job is older than the window, and never with window 0', async () => {
      const owner = `owner-${randomUUID()}`;
      const old = await repo.createIdempotent(keyed(owner, 'k'), 60_000);
      await sql`update jobs set created_at = now() - interval '2 minutes' where job_id = ${old.job.job_id}`.execute(db);
      expect(await repo.findByIdempotencyKey(owner, 'k', 0)).toMatchObject({ job_id: old.job.job_id });
      expect(await repo.createIdempotent(keyed(owner, 'k'), 0)).toMatchObject({ created: false });
      expect(await repo.findByIdempotencyKey(owner, 'k', 60_000)).toBeUndefined();
      const fresh = await repo.createIdempotent(keyed(owner, 'k'), 60_000);
      expect(fresh.created).toBe(true);
      expect(fresh.job.job_id).not.toBe(old.job.job_id);
      expect((await repo.get(old.job.job_id))!.idempotency_key).toBeNull();
    });
  });

  describe('list', () => {
    let clock = Date.now() + 3_600_000;
    /** n jobs of one owner, created one second apart in insertion order (PGlite's clock can repeat). */
    async function seed(owner: string, n: number, status: 'pending' | 'failed' = 'pending') {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        clock += 1000;
        const job = await repo.create(newJobFactory({ owner, status, created_at: new Date(clock) }));
        ids.push(job.job_id);
      }
      return ids;
    }

    async function all(
      owner: string | null,
      statuses: Array<'pending' | 'failed' | 'running' | 'completed'>,
      limit: number,
    ) {
      const pages: string[][] = [];
      let after;
      do {
        const page = await repo.list({ owner, statuses, limit, after });
        pages.push(page.jobs.map((j) => j.job_id));
        after = page.next ?? undefined;
      } while (after);
      return pages;
    }

    it("pages through an owner's jobs newest first, each exactly once, and no one else's", async () => {
      const owner = `owner-${randomUUID()}`;
      const ids = await seed(owner, 7);
      await seed(`other-${randomUUID()}`, 3);
      // Same created_at to the microsecond for two jobs: job_id breaks the tie.
      await sql`update jobs set created_at = (select created_at from jobs where job_id = ${ids[3]}) where job_id = ${ids[4]}`.execute(
        db,
      );
      const pages = await all(owner, [], 3);
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      const listed = pages.flat();
      expect(new Set(listed)).toEqual(new Set(ids));
      const rows = await db
        .selectFrom('jobs')
        .select(['job_id', 'created_at'])
        .where('owner', '=', owner)
        .orderBy('created_at', 'desc')
        .orderBy('job_id', 'desc')
        .execute();
      expect(listed).toEqual(rows.map((r) => r.job_id));
    });

    it('answers next null when the page holds the last job, and an empty page for an owner with none', async () => {
      const owner = `owner-${randomUUID()}`;
      await seed(owner, 2);
      expect((await repo.list({ owner, statuses: [], limit: 2 })).next).toBeNull();
      expect(await repo.list({ owner: `none-${randomUUID()}`, statuses: [], limit: 5 })).toEqual({
        jobs: [],
        next: null,
      });
    });

    it('filters by one or several statuses, merging them newest first', async () => {
      const owner = `owner-${randomUUID()}`;
      const pending = await seed(owner, 3, 'pending');
      const failed = await seed(owner, 3, 'failed');
      await seed(owner, 1, 'pending');
      await sql`update jobs set status = 'running' where job_id = ${pending[0]}`.execute(db);
      const onlyFailed = (await all(owner, ['failed'], 2)).flat();
      expect(onlyFailed).toEqual([...failed].reverse());
      const mixed = (await all(owner, ['failed', 'running'], 2)).flat();
      expect(mixed).toEqual([...failed].reverse().concat(pending[0]));
    });

    it('lists open-mode jobs (null owner) apart from keyed ones', async () => {
      const before = (await all(null, [], 100)).flat();
      const [id] = await seed(null as unknown as string, 1);
      const after = (await all(null, [], 100)).flat();
      expect(after[0]).toBe(id);
      expect(after).toHaveLength(before.length + 1);
    });

    it('reads each page as an ordered index range, in open mode too, never sorting the table', async () => {
      const owner = `owner-${randomUUID()}`;
      await seed(owner, 3);
      const after = { createdAtUs: String(Date.now() * 1000), jobId: randomUUID() };
      const plans: string[] = [];
      for (const o of [owner, null]) {
        for (const status of [undefined, 'failed' as const]) {
          const compiled = rangeQuery(db, { owner: o, statuses: [], limit: 20, after }, status).compile();
          // With sequential scans priced out, a sort can only be left when no index gives the order.
          const plan = await db.transaction().execute(async (trx) => {
            await sql`set local enable_seqscan = off`.execute(trx);
            const { rows } = await trx.executeQuery<{ 'QUERY PLAN': string }>(
              CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]),
            );
            return rows.map((r) => r['QUERY PLAN']).join('\n');
          });
          plans.push(plan);
          expect(plan).toMatch(
            status ? /Index Scan using jobs_owner_status_created_at_idx/ : /Index Scan using jobs_owner_created_at_idx/,
          );
        }
      }
      expect(plans.filter((p) => /Sort/.test(p))).toEqual([]);
    });
  });

  describe('ping', () => {
    it('resolves while the database is reachable', async () => {
      await expect(repo.ping()).resolves.toBeUndefined();
    });
  });
});
