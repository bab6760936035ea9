import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/database';
import { createLogger } from '../logger';
import { LocalStorage } from '../storage/local.storage';
import { inputKey, resultsIndexKey, resultsKey, type ObjectStorage } from '../storage/object-storage';
import { S3Storage } from '../storage/s3.storage';
import { createTestDatabase, createTestPglite, newJobFactory, startS3rver, type TestS3 } from '../test-support';
import type { JobRepository } from './job.repository';
import type { JobStatus } from './job.table';
import { KyselyJobRepository } from './kysely-job.repository';
import { expireFinishedJobs, type RetentionOptions } from './retention';

/**
 * The retention pass on the real parts: Postgres and PGlite, each with local files and s3rver.
 * Jobs are aged by moving updated_at (a finished job's finish time) into the past.
 */
const HOUR = 3600_000;
const logger = createLogger('error', { silent: true });

const databases: Array<[string, () => Promise<{ db: Kysely<Database>; destroy: () => Promise<void> }>]> = [
  ['Postgres', createTestDatabase],
  ['PGlite', createTestPglite],
];

let s3: TestS3;
let localRoot: string;
beforeAll(async () => {
  s3 = await startS3rver();
  localRoot = await mkdtemp(path.join(os.tmpdir(), 'video-jobs-retention-'));
});
afterAll(async () => {
  await s3?.close();
  await rm(localRoot, { recursive: true, force: true });
});

const storages: Array<[string, () => ObjectStorage]> = [
  ['local storage', () => new LocalStorage(localRoot)],
  [
    's3rver',
    () =>
      new S3Storage({
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        region: s3.region,
        credentials: s3.credentials,
        logger,
      }),
  ],
];

/** Counts the deletes of each key, and can fail the deletes of keys a test picks (a pass dying there). */
class WatchedStorage {
  readonly deletes = new Map<string, number>();
  failOn: (key: string) => boolean = () => false;

  constructor(readonly inner: ObjectStorage) {}

  get storage(): ObjectStorage {
    return new Proxy(this.inner, {
      get: (target, prop, receiver) => {
        if (prop !== 'delete') return Reflect.get(target, prop, receiver) as unknown;
        return async (key: string) => {
          if (this.failOn(key)) throw new Error(`storage unavailable deleting ${key}`);
          this.deletes.set(key, (this.deletes.get(key) ?? 0) + 1);
          await target.delete(key);
        };
      },
    });
  }
}

describe.each(databases)('retention on %s', (_dbName, open) => {
  let db: Kysely<Database>;
  let destroy: () => Promise<void>;
  let jobs: KyselyJobRepository;

  beforeAll(async () => {
    ({ db, destroy } = await open());
    jobs = new KyselyJobRepository(db);
  });
  afterAll(() => destroy());

  describe.each(storages)('with %s', (_storageName, makeStorage) => {
    let watched: WatchedStorage;
    let storage: ObjectStorage;

    beforeEach(async () => {
      await db.deleteFrom('jobs').execute();
      watched = new WatchedStorage(makeStorage());
      storage = watched.storage;
    });

    const keysOf = (jobId: string) => [inputKey(jobId), resultsKey(jobId), resultsIndexKey(jobId)];
    const put = (key: string) => storage.put(key, Readable.from([Buffer.from(`bytes of ${key}`)]));
    const stored = async (jobId: string) => {
      const present = [];
      for (const key of keysOf(jobId)) if (await storage.exists(key)) present.push(key);
      return present;
    };

    /** A job in `status` whose last change (its finish, when finished) was `ageMs` ago, with its objects. */
    async function job(status: JobStatus, ageMs: number, extra: { idempotency_key?: string } = {}) {
      const row = newJobFactory({ status, ...extra });
      const jobId = row.job_id;
      const finished = status === 'completed' || status === 'failed';
      await jobs.create({
        ...row,
        output_path: status === 'completed' ? resultsKey(jobId) : null,
        locked_by: status === 'pending' ? null : 'w',
        attempts: status === 'pending' ? 0 : 1,
        request_hash: extra.idempotency_key ? 'h' : null,
      });
      await sql`update jobs set updated_at = now() - ${ageMs}::double precision * interval '1 millisecond',
        created_at = now() - ${ageMs + 1000}::double precision * interval '1 millisecond'
        where job_id = ${jobId}`.execute(db);
      await put(inputKey(jobId));
      // Failed jobs too: a worker that lost its lease may have written results before the job failed.
      if (finished || status === 'running') {
        await put(resultsKey(jobId));
        await put(resultsIndexKey(jobId));
      }
      return jobId;
    }

    const pass = (options: Partial<RetentionOptions> = {}, repo: JobRepository = jobs) =>
      expireFinishedJobs(
        { jobs: repo, storage, logger },
        { retentionMs: HOUR, inputRetentionMs: null, claimMs: 60_000, ...options },
      );

    it('deletes exactly the expired finished jobs, their input, results and index, and nothing else', async () => {
      const expired = [await job('completed', 2 * HOUR), await job('failed', 3 * HOUR)];
      const kept = [
        await job('completed', HOUR / 2),
        await job('failed', HOUR / 2),
        // Old, but not finished: never touched whatever their age.
        await job('pending', 5 * HOUR),
        await job('running', 5 * HOUR),
      ];

      expect(await pass()).toEqual({ jobsDeleted: 2, inputsDeleted: 0 });

      for (const id of expired) {
        expect(await jobs.get(id)).toBeUndefined();
        expect(await stored(id)).toEqual([]);
      }
      for (const id of kept) {
        expect(await jobs.get(id)).toBeDefined();
        expect(await stored(id)).toEqual((await jobs.get(id))!.status === 'pending' ? [inputKey(id)] : keysOf(id));
      }
      expect(await jobs.countByStatus()).toEqual({ pending: 1, running: 1, completed: 1, failed: 1 });
      expect(await pass()).toEqual({ jobsDeleted: 0, inputsDeleted: 0 });
    });

    it('keeps everything with RETENTION_MS=0 and inputs with INPUT_RETENTION_MS unset', async () => {
      const id = await job('completed', 1000 * HOUR);
      expect(await pass({ retentionMs: 0, inputRetentionMs: null })).toEqual({ jobsDeleted: 0, inputsDeleted: 0 });
      expect(await stored(id)).toEqual(keysOf(id));
      expect(watched.deletes.size).toBe(0);
    });

    it('frees the idempotency key of a deleted job', async () => {
      const old = await job('completed', 2 * HOUR, { idempotency_key: 'nightly-upload' });
      await pass();
      const again = await jobs.createIdempotent(
        { ...newJobFactory(), idempotency_key: 'nightly-upload', request_hash: 'h2' },
        0,
      );
      expect(again.created).toBe(true);
      expect(again.job.job_id).not.toBe(old);
    });

    it('deletes in bounded batches per pass, and the next pass goes on', async () => {
      for (let i = 0; i < 7; i++) await job('completed', 2 * HOUR + i);
      expect(await pass({ batchSize: 2, maxBatches: 2 })).toEqual({ jobsDeleted: 4, inputsDeleted: 0 });
      expect(await pass({ batchSize: 2, maxBatches: 2 })).toEqual({ jobsDeleted: 3, inputsDeleted: 0 });
      expect(await db.selectFrom('jobs').select('job_id').execute()).toEqual([]);
    });

    it('finishes, in a later pass, a job whose pass died after deleting some objects', async () => {
      const id = await job('completed', 2 * HOUR);
      // The first pass dies at the results index: input and results are gone, the row stays.
      watched.failOn = (key) => key === resultsIndexKey(id);
      expect(await pass()).toEqual({ jobsDeleted: 0, inputsDeleted: 0 });
      expect(await stored(id)).toEqual([resultsIndexKey(id)]);
      expect(await jobs.get(id)).toMatchObject({ status: 'completed' });
      watched.failOn = () => false;

      // While the claim is fresh another pass leaves the row to its holder...
      expect(await pass({ claimMs: 60_000 })).toEqual({ jobsDeleted: 0, inputsDeleted: 0 });
      // ...and takes it over once the claim is older than claimMs.
      await sql`update jobs set retention_claimed_at = now() - interval '2 minutes' where job_id = ${id}`.execute(db);
      expect(await pass({ claimMs: 60_000 })).toEqual({ jobsDeleted: 1, inputsDeleted: 0 });
      expect(await jobs.get(id)).toBeUndefined();
      expect(await stored(id)).toEqual([]);
    });

    it('finishes, in a later pass, a job whose pass died after its objects and before its row', async () => {
      const id = await job('failed', 2 * HOUR);
      const dying: JobRepository = Object.create(jobs) as JobRepository;
      dying.deleteExpired = () => Promise.reject(new Error('process killed'));
      await expect(pass({}, dying)).rejects.toThrow('process killed');
      expect(await stored(id)).toEqual([]);
      expect(await jobs.get(id)).toBeDefined();

      expect(await pass({ claimMs: 0 })).toEqual({ jobsDeleted: 1, inputsDeleted: 0 });
      expect(await jobs.get(id)).toBeUndefined();
    });

    it('lets passes running at once share the work: no error, each job and object deleted once', async () => {
      const ids = [];
      for (let i = 0; i < 24; i++) ids.push(await job(i % 3 === 0 ? 'failed' : 'completed', 2 * HOUR + i));
      const kept = await job('running', 5 * HOUR);

      const results = await Promise.all([1, 2, 3].map(() => pass({ batchSize: 3 })));

      expect(results.reduce((sum, r) => sum + r.jobsDeleted, 0)).toBe(24);
      for (const id of ids) {
        expect(await jobs.get(id)).toBeUndefined();
        for (const key of keysOf(id)) expect(watched.deletes.get(key)).toBe(1);
      }
      expect(await jobs.get(kept)).toMatchObject({ status: 'running' });
      expect(await jobs.countByStatus()).toEqual({ pending: 0, running: 1, completed: 0, failed: 0 });
    });

    it('drops inputs sooner with INPUT_RETENTION_MS, records it, and keeps results and row', async () => {
      const done = await job('completed', 3 * HOUR);
      const failed = await job('failed', 3 * HOUR);
      const fresh = await job('completed', 0);
      const pending = await job('pending', 5 * HOUR);
      const running = await job('running', 5 * HOUR);

      expect(await pass({ retentionMs: 24 * HOUR, inputRetentionMs: 2 * HOUR })).toEqual({
        jobsDeleted: 0,
        inputsDeleted: 2,
      });
      for (const id of [done, failed]) {
        expect(await stored(id)).toEqual([resultsKey(id), resultsIndexKey(id)]);
        const row = await jobs.get(id);
        expect(row?.input_deleted_at).toBeInstanceOf(Date);
        expect(row?.retention_claimed_at).toBeNull();
      }
      expect(await stored(fresh)).toEqual(keysOf(fresh));
      expect(await stored(pending)).toEqual([inputKey(pending)]);
      expect(await stored(running)).toEqual(keysOf(running));

      // Done once: the next pass finds nothing, and the row's own expiry does not delete the input again.
      expect(await pass({ retentionMs: 24 * HOUR, inputRetentionMs: 2 * HOUR })).toEqual({
        jobsDeleted: 0,
        inputsDeleted: 0,
      });
      expect(await pass({ retentionMs: 2 * HOUR, inputRetentionMs: 2 * HOUR })).toEqual({
        jobsDeleted: 2,
        inputsDeleted: 0,
      });
      expect(await stored(fresh)).toEqual(keysOf(fresh));
      expect(watched.deletes.get(inputKey(done))).toBe(1);
      expect(watched.deletes.get(inputKey(failed))).toBe(1);
    });

    it('drops an input as soon as its job is finished with INPUT_RETENTION_MS=0', async () => {
      const id = await job('completed', 0);
      const running = await job('running', 0);
      expect(await pass({ retentionMs: 24 * HOUR, inputRetentionMs: 0 })).toEqual({
        jobsDeleted: 0,
        inputsDeleted: 1,
      });
      expect(await storage.exists(inputKey(id))).toBe(false);
      expect(await storage.exists(inputKey(running))).toBe(true);
    });
  });
});
