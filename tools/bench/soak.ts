/**
 * `pnpm bench:soak`: the split stack (API + --workers (2) worker processes over real Postgres,
 * Redis and local storage) kept busy for --seconds (240) with one-frame jobs (`yolo`, a 160x120
 * one-frame MP4), the lifecycle timers short: REQUEUE_MS --requeue-ms (2000), the maintenance
 * timer every --reap-ms (1000), RETENTION_MS --retention-ms (30000). Clients (--clients, 4) keep a
 * backlog of about --backlog (100) pending jobs, so the requeue pass always has stale pending jobs
 * to look at. Every --sample-ms (500) it samples the Redis list length, the pending jobs (LLEN
 * first, then the count), the API's and workers' RSS, and every 5 s the rows and stored bytes.
 * After --seconds it stops submitting, waits until every job is finished, then --drain-ms
 * (retention + 5 s) more. Prints:
 *   - RSS slope of the API (per 1000 jobs submitted) and of each worker (per 1000 jobs it finished),
 *     by least squares over the samples after --warmup-jobs (300) jobs;
 *   - the most queue entries beyond pending jobs (target: a handful, never a multiple);
 *   - rows and stored bytes: peak while running, at the end of submitting, and after the drain
 *     (bounded by RETENTION_MS: about throughput x retention, then nothing);
 *   - jobs lost (submitted, never finished) and done twice (two final transitions), target 0 both.
 * Options: --seconds 240 --jobs 100000 --workers 2 --clients 4 --backlog 100 --retention-ms 30000
 *          --requeue-ms 2000 --reap-ms 1000 --warmup-jobs 300 --sample-ms 500 --drain-ms N
 *          --max-seconds 1200
 * Needs `pnpm build`, Postgres (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL) on loopback.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sleep, startStack, type Stack, type StackProcess } from '../lib/stack';
import { numberArg } from './lib/args';
import { onCleanup, runScript } from './lib/cleanup';
import { eventHub, type LogEvent } from './lib/process-events';
import { rssMb } from './lib/rss';
import { fixed, table, verdict, type Cell } from './lib/stats';
import { oneFrameVideo } from './lib/videos';

const seconds = numberArg('seconds', 240);
const maxJobs = numberArg('jobs', 100_000);
const workerCount = numberArg('workers', 2);
const clients = numberArg('clients', 4);
const backlog = numberArg('backlog', 100);
const retentionMs = numberArg('retention-ms', 30_000);
const requeueMs = numberArg('requeue-ms', 2_000);
const reapMs = numberArg('reap-ms', 1_000);
const warmupJobs = numberArg('warmup-jobs', 300);
const sampleMs = numberArg('sample-ms', 500);
const drainMs = numberArg('drain-ms', retentionMs + 5_000);

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? NaN : sxy / sxx;
}

/** The worker's last line about a job: "job completed", or "job failed" with its duration. */
const isFinal = (e: LogEvent) =>
  e.message === 'job completed' || (e.message === 'job failed' && e.duration_ms !== undefined);

function storedBytes(stack: Stack): { files: number; bytes: number } {
  const dir = path.join(stack.env.DATA_DIR, 'objects', 'video_jobs');
  let files = 0;
  let bytes = 0;
  if (!fs.existsSync(dir)) return { files, bytes };
  for (const f of fs.readdirSync(dir)) {
    try {
      bytes += fs.statSync(path.join(dir, f)).size;
      files++;
    } catch {
      // removed by retention between readdir and stat
    }
  }
  return { files, bytes };
}

interface Sample {
  at: number;
  submitted: number;
  finishedBy: number[];
  apiRss: number | undefined;
  workerRss: (number | undefined)[];
}

async function main() {
  console.log(`bench:soak  cores: ${os.cpus().length}  load average before: ${load()}`);
  const video = await oneFrameVideo();
  const stack = await startStack({
    storage: 'local',
    env: {
      WORKER_CONCURRENCY: '1',
      REQUEUE_MS: String(requeueMs),
      REAP_INTERVAL_MS: String(reapMs),
      RETENTION_MS: String(retentionMs),
      // The soak writes little; the free-space check of /readyz is not what it measures.
      MIN_FREE_BYTES: '0',
    },
  });
  onCleanup(() => stack.stop());
  const api = await stack.startApi();
  const workers: StackProcess[] = [];
  for (let i = 0; i < workerCount; i++) workers.push(await stack.startWorker());
  const hubs = workers.map(eventHub);
  onCleanup(() => hubs.forEach((h) => h.close()));
  const finishedBy = () => hubs.map((h) => h.events.filter(isFinal).length);
  const queueKey = `${stack.prefix}queue`;

  const submitted: string[] = [];
  let pendingNow = 0;
  let stopSubmitting = false;
  let submitErrors = 0;
  const samples: Sample[] = [];
  let maxExcess = -Infinity;
  let maxLlen = 0;
  let maxPending = 0;
  let peakRows = 0;
  let peakBytes = 0;
  let peakFiles = 0;
  let lastStorageSample = 0;
  let sampling = true;

  const sampler = (async () => {
    while (sampling) {
      // LLEN first, then the count: a submit in between can only lower the difference, so the
      // maximum is not inflated by ids committed but not yet pushed.
      const llen = await stack.redis.llen(queueKey);
      const {
        rows: [p],
      } = await stack.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE status = 'pending'`);
      pendingNow = p.n;
      maxExcess = Math.max(maxExcess, llen - p.n);
      maxLlen = Math.max(maxLlen, llen);
      maxPending = Math.max(maxPending, p.n);
      samples.push({
        at: Date.now(),
        submitted: submitted.length,
        finishedBy: finishedBy(),
        apiRss: rssMb(api.proc.pid),
        workerRss: workers.map((w) => rssMb(w.proc.pid)),
      });
      if (Date.now() - lastStorageSample >= 5_000) {
        lastStorageSample = Date.now();
        const {
          rows: [r],
        } = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
        const s = storedBytes(stack);
        peakRows = Math.max(peakRows, r.n);
        peakBytes = Math.max(peakBytes, s.bytes);
        peakFiles = Math.max(peakFiles, s.files);
      }
      await sleep(sampleMs);
    }
  })();

  const started = Date.now();
  const deadline = started + seconds * 1000;
  const progress = setInterval(() => {
    const f = finishedBy().reduce((a, b) => a + b, 0);
    console.log(
      `  ${fixed((Date.now() - started) / 1000, 0)} s: ${submitted.length} submitted, ${f} finished, ${pendingNow} pending, load ${load()}`,
    );
  }, 30_000);
  onCleanup(() => clearInterval(progress));
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!stopSubmitting && Date.now() < deadline && submitted.length < maxJobs) {
        if (pendingNow >= backlog) {
          await sleep(50);
          continue;
        }
        try {
          submitted.push(await stack.submit(video, { pipeline_id: 'yolo', max_frames: 1 }));
          pendingNow++;
        } catch (err) {
          submitErrors++;
          if (submitErrors > 20) throw err;
        }
      }
    }),
  );
  stopSubmitting = true;
  const submitSeconds = (Date.now() - started) / 1000;
  const atStop = {
    rows: (await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')).rows[0].n,
    ...storedBytes(stack),
  };

  // Drain: every submitted job reaches a final state (seen in the workers' logs: rows may be gone).
  const drainStarted = Date.now();
  const finishedIds = () => new Set(hubs.flatMap((h) => h.events.filter(isFinal).map((e) => e.job_id)));
  while (finishedIds().size < submitted.length && Date.now() - drainStarted < 300_000) await sleep(500);
  const finishSeconds = (Date.now() - started) / 1000;
  clearInterval(progress);
  console.log(`  all finished after ${fixed(finishSeconds, 0)} s; waiting ${drainMs} ms for retention...`);
  await sleep(drainMs);
  sampling = false;
  await sampler;
  const atEnd = {
    rows: (await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')).rows[0].n,
    ...storedBytes(stack),
  };
  const leftUnfinished = (
    await stack.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE status IN ('pending', 'running')`)
  ).rows[0].n;

  // Exactly once: one final transition per submitted job, none for ids never submitted.
  const finals = new Map<string, number>();
  for (const h of hubs)
    for (const e of h.events.filter(isFinal)) finals.set(e.job_id ?? '', (finals.get(e.job_id ?? '') ?? 0) + 1);
  const lost = submitted.filter((id) => !finals.has(id)).length;
  const twice = [...finals.values()].filter((n) => n > 1).length;
  const failed = hubs.reduce(
    (a, h) => a + h.events.filter((e) => e.message === 'job failed' && e.duration_ms !== undefined).length,
    0,
  );
  const claims = hubs.reduce((a, h) => a + h.events.filter((e) => e.message === 'job claimed').length, 0);
  const requeued = hubs.reduce(
    (a, h) =>
      a +
      h.events
        .filter((e) => e.message === 'pending jobs missing from the queue requeued')
        .reduce((b, e) => b + Number(e.requeued ?? 0), 0),
    0,
  );

  // RSS slopes after warm-up.
  const after = samples.filter((s) => s.submitted >= warmupJobs);
  const apiSlope =
    slope(after.filter((s) => s.apiRss !== undefined).map((s) => ({ x: s.submitted, y: s.apiRss as number }))) * 1000;
  const workerSlopes = workers.map(
    (_, i) =>
      slope(
        samples
          .filter((s) => s.finishedBy.reduce((a, b) => a + b, 0) >= warmupJobs && s.workerRss[i] !== undefined)
          .map((s) => ({ x: s.finishedBy[i], y: s.workerRss[i] as number })),
      ) * 1000,
  );
  const first = after[0];
  const last = samples[samples.length - 1];
  const rssRows: Cell[][] = [
    ['process', 'jobs after warm-up', 'RSS after warm-up MB', 'RSS at end MB', 'slope MB / 1000 jobs'],
  ];
  rssRows.push([
    'api (per job submitted)',
    last.submitted - (first?.submitted ?? 0),
    fixed(first?.apiRss ?? NaN, 0),
    fixed(last.apiRss ?? NaN, 0),
    fixed(apiSlope, 2),
  ]);
  workers.forEach((w, i) =>
    rssRows.push([
      `${w.id} (per job it finished)`,
      last.finishedBy[i] - (first?.finishedBy[i] ?? 0),
      fixed(first?.workerRss[i] ?? NaN, 0),
      fixed(last.workerRss[i] ?? NaN, 0),
      fixed(workerSlopes[i], 2),
    ]),
  );

  const throughput = submitted.length / finishSeconds;
  console.log(
    `\n${submitted.length} one-frame jobs (yolo) submitted in ${fixed(submitSeconds, 0)} s by ${clients} clients (backlog kept near ${backlog}), ${workerCount} workers; all finished after ${fixed(finishSeconds, 0)} s (${fixed(throughput, 1)} jobs/s)`,
  );
  console.log(
    `timers: REQUEUE_MS ${requeueMs}, maintenance every ${reapMs} ms, RETENTION_MS ${retentionMs}; ${samples.length} samples every ${sampleMs} ms`,
  );
  console.log(table(rssRows));
  console.log(
    `\nqueue: at most ${maxExcess} entries beyond the pending jobs (list up to ${maxLlen}, pending up to ${maxPending}); ${requeued} ids pushed again by the requeue pass`,
  );
  console.log(
    table([
      ['when', 'rows', 'objects', 'stored MB'],
      ['peak while running', peakRows, peakFiles, fixed(peakBytes / 1e6, 2)],
      ['when submitting stopped', atStop.rows, atStop.files, fixed(atStop.bytes / 1e6, 2)],
      [
        `${fixed(drainMs / 1000, 0)} s after the last job finished`,
        atEnd.rows,
        atEnd.files,
        fixed(atEnd.bytes / 1e6, 2),
      ],
    ]),
  );
  console.log(
    `\njobs: ${submitted.length} submitted, ${claims} claims, ${failed} failed, ${lost} lost, ${twice} done twice, ${leftUnfinished} still pending/running; ${submitErrors} submit errors`,
  );
  console.log(`load average after: ${load()}`);
  // Retention bound: what finishes within RETENTION_MS plus a maintenance tick, and the backlog.
  const rowBound = Math.ceil(throughput * ((retentionMs + reapMs) / 1000) * 1.5) + backlog + workerCount;
  const verdicts = [
    verdict(lost === 0 && twice === 0 && leftUnfinished === 0, `exactly once: ${lost} lost, ${twice} done twice`),
    verdict(
      maxExcess <= 3 + workerCount,
      `queue: at most ${maxExcess} entries beyond the pending jobs (target: a handful)`,
    ),
    verdict(
      peakRows <= rowBound,
      `retention: peak ${peakRows} rows for ${submitted.length} jobs (bound ${rowBound}: 1.5 x throughput x (RETENTION_MS + tick) + backlog); ${atEnd.rows} rows and ${atEnd.files} objects ${fixed(drainMs / 1000, 0)} s after the last job`,
    ),
    verdict(
      [apiSlope, ...workerSlopes].every((s) => s < 5),
      `RSS slope after warm-up: api ${fixed(apiSlope, 2)}, workers ${workerSlopes.map((s) => fixed(s, 2)).join(' / ')} MB per 1000 jobs (target < 5)`,
    ),
  ];
  console.log(verdicts.join('\n'));
  return lost === 0 && twice === 0 ? 0 : 1;
}

runScript(main, { maxSeconds: numberArg('max-seconds', 1200) });
