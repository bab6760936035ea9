import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import {
  createTestDatabase,
  deleteKeys,
  newJobFactory,
  testRedisUrl,
  uniquePrefix,
  type TestDatabase,
} from '../test-support';
import { createLogger } from '../logger';
import { RedisQueue } from '../queue/redis.queue';
import { LocalStorage } from '../storage/local.storage';
import { inputKey } from '../storage/object-storage';
import { JobWorker } from './job-worker';
import { KyselyJobRepository } from './kysely-job.repository';
import { requeueMissing } from './pending-requeue';
import type { FrameResult, PipelineParams, VideoPipeline } from './video-pipeline';

/** Takes `ms` per job and counts how often each job ran: the queue is under test, not decoding. */
class SlowPipeline implements VideoPipeline {
  readonly runs = new Map<string, number>();
  constructor(private readonly ms: number) {}
  runOnFile(file: string, _params: PipelineParams, signal?: AbortSignal): AsyncIterable<FrameResult> {
    const jobId = path.basename(file).slice(0, 36);
    this.runs.set(jobId, (this.runs.get(jobId) ?? 0) + 1);
    const ms = this.ms;
    return (async function* () {
      await sleep(ms, undefined, { signal });
      yield { frame_index: 0, result: { timestamp_ms: 0, detections: [] } };
    })();
  }
  pipelineIds() {
    return ['yolo'];
  }
}

const logger = createLogger('error', { silent: true });
let pg: TestDatabase;
let jobs: KyselyJobRepository;
let dir: string;
let storage: LocalStorage;

beforeAll(async () => {
  pg = await createTestDatabase();
  jobs = new KyselyJobRepository(pg.db);
  dir = await mkdtemp(path.join(os.tmpdir(), 'pending-requeue-'));
  storage = new LocalStorage(path.join(dir, 'objects'));
});
afterAll(async () => {
  await pg?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await pg.db.deleteFrom('jobs').execute();
});

async function createJob(): Promise<string> {
  const job = await jobs.create(newJobFactory({ pipeline_id: 'yolo' }));
  await storage.put(inputKey(job.job_id), Readable.from([Buffer.from('....ftyp')]));
  return job.job_id;
}
const backdate = (ids: string[], ms: number) =>
  pg.db
    .updateTable('jobs')
    .set({ updated_at: sql<Date>`now() - ${ms}::double precision * interval '1 millisecond'` })
    .where('job_id', 'in', ids)
    .execute();

async function listed(redis: Redis, key: string): Promise<string[]> {
  return redis.lrange(key, 0, -1);
}

describe('requeue on Redis and Postgres', () => {
  let url: string;
  let prefix: string;
  let queue: RedisQueue;
  let redis: Redis;

  beforeEach(async () => {
    url = await testRedisUrl();
    prefix = uniquePrefix('requeue');
    queue = new RedisQueue({ url, prefix });
    redis = new Redis(url);
  });
  afterEach(async () => {
    await queue.close();
    redis.disconnect();
    await deleteKeys(url, prefix);
  });

  it('keeps a 24-job backlog with one worker and REQUEUE_MS=2000 within 3 entries of its pending jobs, each job run once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) {
      const id = await createJob();
      await queue.enqueue(id);
      ids.push(id);
    }
    const pipeline = new SlowPipeline(300);
    const worker = new JobWorker(
      { jobs, queue, storage, pipeline, logger },
      {
        workerId: 'w1',
        concurrency: 1,
        heartbeatMs: 100,
        leaseMs: 60_000,
        // Far more often than the default, to give duplicates every chance to appear.
        reapIntervalMs: 100,
        requeueMs: 2_000,
        maxAttempts: 3,
        shutdownGraceMs: 5_000,
        dequeueTimeoutMs: 200,
        stallMs: 60_000,
        retentionMs: 0,
        inputRetentionMs: null,
        tmpDir: path.join(dir, 'tmp'),
      },
    );
    worker.start();
    let worstExcess = -Infinity;
    try {
      for (;;) {
        const [waiting, pending] = await Promise.all([redis.llen(queue.queueKey), jobs.countPending()]);
        worstExcess = Math.max(worstExcess, waiting - pending);
        const counts = await jobs.countByStatus();
        if (counts.completed === 24) break;
        await sleep(100);
      }
    } finally {
      await worker.close();
    }
    // 24 jobs x 300 ms: the last ones waited about 7 s, several requeue intervals.
    expect(worstExcess).toBeLessThanOrEqual(3);
    expect([...pipeline.runs.values()].every((n) => n === 1)).toBe(true);
    expect(pipeline.runs.size).toBe(24);
    expect(await redis.llen(queue.queueKey)).toBe(0);
  }, 60_000);

  it('pushes again a job whose LPUSH was lost, once, and leaves a just-committed one alone', async () => {
    const lost = await createJob();
    const fresh = await createJob();
    const waiting = await createJob();
    await queue.enqueue(waiting);
    await backdate([lost, waiting], 60_000);

    expect(await requeueMissing({ jobs, queue, logger }, 2_000)).toBe(1);
    expect((await listed(redis, queue.queueKey)).sort()).toEqual([lost, waiting].sort());
    // The list now holds every stale pending job: the next passes stop at LLEN.
    await backdate([lost], 60_000);
    expect(await requeueMissing({ jobs, queue, logger }, 2_000)).toBe(0);
    expect(await listed(redis, queue.queueKey)).toHaveLength(2);
    expect(await listed(redis, queue.queueKey)).not.toContain(fresh);
    expect(await redis.keys(`${prefix}waiting:*`)).toEqual([]);
  });

  it('pushes each missing id once when several workers requeue at the same moment', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await createJob());
    await backdate(ids, 60_000);
    const others = [new RedisQueue({ url, prefix }), new RedisQueue({ url, prefix }), queue];
    try {
      const pushed = await Promise.all(others.map((q) => requeueMissing({ jobs, queue: q, logger }, 2_000)));
      expect(pushed.reduce((a, b) => a + b, 0)).toBe(30);
    } finally {
      await Promise.all(others.slice(0, 2).map((q) => q.close()));
    }
    expect((await listed(redis, queue.queueKey)).sort()).toEqual(ids.sort());
  });

  it('finds pending jobs past the first page of 1,000 once the list is short', async () => {
    const rows = Array.from({ length: 2_500 }, () => newJobFactory({ pipeline_id: 'yolo' }));
    await pg.db.insertInto('jobs').values(rows).execute();
    const ids = rows.map((r) => r.job_id);
    await backdate(ids, 60_000);
    // All but the first 7 are still waiting.
    for (const id of ids.slice(7)) await redis.lpush(queue.queueKey, id);
    expect(await requeueMissing({ jobs, queue, logger }, 2_000)).toBe(7);
    const list = await listed(redis, queue.queueKey);
    expect(list).toHaveLength(2_500);
    expect(new Set(list).size).toBe(2_500);
  });
});

/** A private redis-server, so FLUSHALL hits nobody else's keys. */
async function privateRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const up = await probe.connect().then(
      () => true,
      () => false,
    );
    probe.disconnect();
    if (up) return { url, child };
    await sleep(50);
  }
  child.kill();
  throw new Error('private redis-server did not start');
}

describe('requeue after FLUSHALL', () => {
  it('puts every stale pending job back exactly once after the Redis lost its data', async () => {
    const server = await privateRedis();
    const queue = new RedisQueue({ url: server.url });
    const redis = new Redis(server.url);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        ids.push(await createJob());
        await queue.enqueue(ids[i]);
      }
      await redis.flushall();
      await backdate(ids, 60_000);
      expect(await requeueMissing({ jobs, queue, logger }, 2_000)).toBe(10);
      await backdate(ids, 60_000);
      expect(await requeueMissing({ jobs, queue, logger }, 2_000)).toBe(0);
      expect((await listed(redis, queue.queueKey)).sort()).toEqual(ids.sort());
    } finally {
      await queue.close();
      redis.disconnect();
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill();
      await exited;
    }
  });
});
