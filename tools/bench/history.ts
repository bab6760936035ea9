/**
 * `pnpm bench:history`: what the periodic and per-request work costs once the jobs table holds
 * months of history (issue 11). Two split stacks (API over real Postgres and Redis, local storage,
 * no worker), each with its own database, holding the same live set: --pending (100) pending jobs,
 * every id in the queue, and --running (10) running jobs with fresh heartbeats. The second also
 * holds --history (2,000,000) finished jobs, seeded in SQL. The stacks take turns round by round,
 * so load from other work falls on both; each figure is a median, and the ratio is
 * history / empty. Measured:
 *   GET /metrics             (jobs by status and queue depth are read at each scrape)
 *   GET /video/status/{id}   for ids drawn at random from the whole table
 *   reaper pass              reapExpired(LEASE_MS 60 s, MAX_ATTEMPTS 3): nothing expired
 *   requeue pass             requeueMissing with every pending id in the queue (the usual pass)
 *   requeue pass, list lost  the queue emptied before each pass: every pending id found and pushed
 *   retention pass           RETENTION_MS and INPUT_RETENTION_MS 7 days, history 3 days old: nothing expired
 *   retention pass, 100 due  100 jobs finished 8 days ago added before each pass, each with an input,
 *                            results and index file: the pass deletes exactly those, files and rows
 * Target (issue 11): /metrics within 3x of the empty table; the others "about the same" (3x too).
 * Options: --history 2000000 --pending 100 --running 10 --rounds 5 --requests 20 --passes 10
 *          --max-seconds 1800
 * Needs `pnpm build`, Postgres (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL) on loopback.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createLogger,
  createPostgresDb,
  expireFinishedJobs,
  inputKey,
  KyselyJobRepository,
  LocalStorage,
  RedisQueue,
  requeueMissing,
  resultsIndexKey,
  resultsKey,
} from '@video-jobs/core';
import { startStack, type Stack } from '../lib/stack';
import { numberArg } from './lib/args';
import { onCleanup, runScript } from './lib/cleanup';
import { seedFinishedJobs } from './lib/seed-jobs';
import { fixed, percentile, table, verdict, type Cell } from './lib/stats';
import { closeTimedGetAgent, timeRepeated } from './lib/timed-get';

const history = numberArg('history', 2_000_000);
const pending = numberArg('pending', 100);
const running = numberArg('running', 10);
const rounds = numberArg('rounds', 5);
const requests = numberArg('requests', 20);
const passes = numberArg('passes', 10);
const LEASE_MS = 60_000;
const REQUEUE_MS = 30_000;
const MAX_ATTEMPTS = 3;
const RETENTION_MS = 7 * 24 * 3600_000;
const DUE = 100;

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const median = (v: number[]) => percentile(v, 50);

interface Subject {
  name: string;
  stack: Stack;
  db: ReturnType<typeof createPostgresDb>;
  jobs: KyselyJobRepository;
  queue: RedisQueue;
  storage: LocalStorage;
  statusPaths: string[];
}

/** The live set both stacks share: stale pending jobs (all queued) and running ones with fresh heartbeats. */
async function seedLiveSet(stack: Stack, queue: RedisQueue): Promise<void> {
  await stack.pool.query(
    `INSERT INTO jobs (job_id, status, created_at, updated_at, input_path, pipeline_id, attempts, locked_by)
     SELECT id, st, now() - interval '1 hour', CASE WHEN st = 'pending' THEN now() - interval '1 hour' ELSE now() END,
            'video_jobs/' || id || '.mp4', 'yolo', CASE WHEN st = 'pending' THEN 0 ELSE 1 END,
            CASE WHEN st = 'running' THEN 'worker-elsewhere' END
     FROM (SELECT gen_random_uuid() AS id, CASE WHEN i <= $1 THEN 'pending' ELSE 'running' END AS st
           FROM generate_series(1, $2::int) AS i) AS s`,
    [pending, pending + running],
  );
  await refillQueue(stack, queue);
}

/** Puts every pending id in the queue once, as the API's submits would have. */
async function refillQueue(stack: Stack, queue: RedisQueue): Promise<void> {
  await stack.redis.del(queue.queueKey);
  const { rows } = await stack.pool.query<{ job_id: string }>(`SELECT job_id FROM jobs WHERE status = 'pending'`);
  for (const r of rows) await queue.enqueue(r.job_id);
}

async function subject(name: string, historyRows: number): Promise<Subject> {
  const stack = await startStack({ storage: 'local' });
  onCleanup(() => stack.stop());
  await stack.startApi(); // migrates the new database
  const db = createPostgresDb(stack.env.DATABASE_URL, { max: 2 });
  onCleanup(() => db.destroy());
  const queue = new RedisQueue({ url: stack.env.REDIS_URL ?? '', prefix: stack.prefix, name: 'bench-history' });
  onCleanup(() => queue.close());
  if (historyRows > 0) {
    const seconds = await seedFinishedJobs(stack.pool, {
      count: historyRows,
      onProgress: (done) => historyRows >= 500_000 && console.log(`  seeded ${done}/${historyRows} jobs`),
    });
    console.log(`  ${historyRows} finished jobs seeded in ${fixed(seconds)} s (with VACUUM ANALYZE)`);
  }
  return {
    name,
    stack,
    db,
    jobs: new KyselyJobRepository(db),
    queue,
    storage: new LocalStorage(path.join(stack.env.DATA_DIR, 'objects')),
    statusPaths: [],
  };
}

async function timePasses(n: number, before: () => Promise<unknown>, pass: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    await before();
    const t0 = process.hrtime.bigint();
    await pass();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times;
}

const logger = createLogger('error');

/** Adds DUE jobs that finished 8 days ago, each with its three files, as a week of traffic would leave them. */
async function seedDue(s: Subject): Promise<void> {
  const { rows } = await s.stack.pool.query<{ job_id: string }>(
    `INSERT INTO jobs (job_id, status, created_at, updated_at, input_path, output_path, pipeline_id, attempts)
     SELECT id, 'completed', now() - interval '8 days', now() - interval '8 days',
            'video_jobs/' || id || '.mp4', 'video_jobs/' || id || '_results.json', 'yolo', 1
     FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, $1::int)) AS s
     RETURNING job_id`,
    [DUE],
  );
  const root = path.join(s.stack.env.DATA_DIR, 'objects');
  fs.mkdirSync(path.join(root, 'video_jobs'), { recursive: true });
  for (const { job_id: id } of rows) {
    for (const key of [inputKey(id), resultsKey(id), resultsIndexKey(id)]) {
      fs.writeFileSync(path.join(root, key), 'x'.repeat(1024));
    }
  }
}

const retentionPass = (s: Subject) =>
  expireFinishedJobs(
    { jobs: s.jobs, storage: s.storage, logger },
    { retentionMs: RETENTION_MS, inputRetentionMs: RETENTION_MS, claimMs: LEASE_MS },
  );

type Measure = { name: string; run: (s: Subject, n: number) => Promise<number[]> };

const measures: Measure[] = [
  { name: 'GET /metrics', run: (s, n) => timeRepeated(`${s.stack.baseUrl}/metrics`, n) },
  {
    name: 'GET /video/status (random id)',
    run: async (s, n) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = s.statusPaths[Math.floor(Math.random() * s.statusPaths.length)];
        times.push(...(await timeRepeated(`${s.stack.baseUrl}${p}`, 1)));
      }
      return times;
    },
  },
  {
    name: 'reaper pass',
    run: (s, n) =>
      timePasses(
        n,
        // The running jobs' workers heartbeat, so the pass finds nothing expired, as usual.
        () => s.stack.pool.query(`UPDATE jobs SET updated_at = now() WHERE status = 'running'`),
        async () => {
          const reaped = await s.jobs.reapExpired(LEASE_MS, MAX_ATTEMPTS);
          if (reaped.requeued.length + reaped.failed.length > 0) throw new Error('the reaper took live jobs');
        },
      ),
  },
  {
    name: 'requeue pass',
    run: (s, n) =>
      timePasses(
        n,
        async () => undefined,
        () => requeueMissing({ jobs: s.jobs, queue: s.queue, logger }, REQUEUE_MS),
      ),
  },
  {
    name: 'requeue pass, list lost',
    run: async (s, n) => {
      const times = await timePasses(
        n,
        // Every pending job stale again and the list gone, as after a Redis restarted empty.
        async () => {
          await s.stack.redis.del(s.queue.queueKey);
          await s.stack.pool.query(`UPDATE jobs SET updated_at = now() - interval '1 hour' WHERE status = 'pending'`);
        },
        async () => {
          const pushed = await requeueMissing({ jobs: s.jobs, queue: s.queue, logger }, REQUEUE_MS);
          if (pushed !== pending) throw new Error(`the requeue pass pushed ${pushed} of ${pending} lost ids`);
        },
      );
      await refillQueue(s.stack, s.queue);
      return times;
    },
  },
  {
    name: 'retention pass',
    run: (s, n) =>
      timePasses(
        n,
        async () => undefined,
        async () => {
          const done = await retentionPass(s);
          if (done.jobsDeleted + done.inputsDeleted > 0) throw new Error('retention deleted jobs not yet due');
        },
      ),
  },
  {
    name: `retention pass, ${DUE} due`,
    run: (s, n) =>
      timePasses(
        n,
        () => seedDue(s),
        async () => {
          const done = await retentionPass(s);
          if (done.jobsDeleted !== DUE) throw new Error(`retention deleted ${done.jobsDeleted} of ${DUE} due jobs`);
        },
      ),
  },
];

async function main() {
  console.log(`bench:history  cores: ${os.cpus().length}  load average before: ${load()}`);
  const subjects = [await subject('empty', 0), await subject(`${history} finished`, history)];
  // After all the seeding, so no running job's heartbeat is older than the lease when timing starts.
  for (const s of subjects) {
    await seedLiveSet(s.stack, s.queue);
    const { rows } = await s.stack.pool.query<{ job_id: string }>(
      'SELECT job_id FROM jobs ORDER BY random() LIMIT 200',
    );
    s.statusPaths = rows.map((r) => `/video/status/${r.job_id}`);
  }
  // Warm-up: JIT, pools, the buffer cache.
  for (const s of subjects) for (const m of measures) await m.run(s, 3);
  const times = new Map<string, number[]>();
  const key = (s: Subject, m: Measure) => `${s.name}|${m.name}`;
  for (let round = 0; round < rounds; round++) {
    for (const s of round % 2 === 0 ? subjects : [...subjects].reverse()) {
      for (const m of measures) {
        const n = m.name.startsWith('GET') ? requests : passes;
        times.set(key(s, m), [...(times.get(key(s, m)) ?? []), ...(await m.run(s, n))]);
      }
    }
    console.log(`  round ${round + 1}/${rounds} done, load average ${load()}`);
  }
  closeTimedGetAgent();
  const [empty, full] = subjects;
  const rows: Cell[][] = [
    ['measure', 'n', 'empty p50 ms', 'empty p90 ms', 'history p50 ms', 'history p90 ms', 'p50 history / empty'],
  ];
  const ratios = new Map<string, number>();
  for (const m of measures) {
    const a = times.get(key(empty, m)) ?? [];
    const b = times.get(key(full, m)) ?? [];
    ratios.set(m.name, median(b) / median(a));
    rows.push([
      m.name,
      b.length,
      fixed(median(a), 2),
      fixed(percentile(a, 90), 2),
      fixed(median(b), 2),
      fixed(percentile(b, 90), 2),
      fixed(median(b) / median(a), 2),
    ]);
  }
  console.log(
    `\nlive set in both: ${pending} pending (queued), ${running} running; history: ${history} finished jobs; ${rounds} rounds`,
  );
  console.log(table(rows));
  console.log(`\nload average after: ${load()}`);
  const metrics = ratios.get('GET /metrics') ?? NaN;
  console.log(
    verdict(metrics <= 3, `/metrics with ${history} finished jobs: ${fixed(metrics, 2)}x empty (target <= 3x)`),
  );
  for (const [name, r] of ratios) {
    if (name !== 'GET /metrics')
      console.log(verdict(r <= 3, `${name}: ${fixed(r, 2)}x empty (target about the same, <= 3x)`));
  }
  return 0;
}

runScript(main, { maxSeconds: numberArg('max-seconds', 1800) });
