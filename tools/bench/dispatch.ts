/**
 * `pnpm bench:dispatch`: how long a submitted job waits before an idle worker has it `running`.
 * Split stack (Postgres, Redis, local storage), one worker with concurrency 1. For each of --jobs
 * jobs (200): submit a small MP4 (yolo, max_frames 1), take the time the 202 arrives, then the
 * time the worker's "job claimed" line arrives (logged right after the claim UPDATE commits), then
 * wait for the job to finish so the worker is idle again, plus a random pause of 0-100 ms so
 * submits do not fall in step with any timer. Target: p50 < 50 ms.
 * Baseline, same run: the floor of that path measured directly, one Redis LPUSH -> BRPOP hand-off
 * between two connections plus one claim-shaped UPDATE on Postgres.
 * Options: --jobs 200 --max-seconds 600
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { startStack, sleep, TEST_REDIS_URL, type Stack } from '../lib/stack';
import { numberArg } from './lib/args';
import { onCleanup, runScript } from './lib/cleanup';
import { eventHub } from './lib/process-events';
import { fixed, percentile, table, verdict } from './lib/stats';
import { testVideo } from './lib/videos';

const jobs = numberArg('jobs', 200);

/** LPUSH on one connection -> BRPOP on another, then a claim-like UPDATE: what dispatch cannot beat. */
async function floor(stack: Stack, samples: number): Promise<number[]> {
  const key = `${stack.prefix}bench-floor`;
  const push = new Redis(TEST_REDIS_URL);
  const pop = new Redis(TEST_REDIS_URL);
  onCleanup(() => {
    push.disconnect();
    pop.disconnect();
  });
  await stack.pool.query(
    'CREATE TEMP TABLE IF NOT EXISTS floor_jobs (id uuid primary key, status text, attempts int, updated_at timestamptz)',
  );
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const id = randomUUID();
    await stack.pool.query("INSERT INTO floor_jobs VALUES ($1, 'pending', 0, now())", [id]);
    const popped = pop.brpop(key, 5);
    await sleep(2);
    const t0 = performance.now();
    await push.lpush(key, id);
    await popped;
    await stack.pool.query(
      "UPDATE floor_jobs SET status='running', attempts=attempts+1, updated_at=now() WHERE id=$1 AND status='pending' RETURNING *",
      [id],
    );
    times.push(performance.now() - t0);
  }
  push.disconnect();
  pop.disconnect();
  return times;
}

async function main() {
  console.log(
    `bench:dispatch  load average before: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const video = await testVideo({ seconds: 1, width: 320, height: 240 });
  const stack = await startStack({ storage: 'local', env: { WORKER_CONCURRENCY: '1' } });
  onCleanup(() => stack.stop());
  await stack.startApi();
  const worker = await stack.startWorker();
  const log = eventHub(worker);
  onCleanup(log.close);

  const floorMs = await floor(stack, 200);
  const dispatchMs: number[] = [];
  const submitMs: number[] = [];
  for (let i = 0; i < jobs; i++) {
    const since = log.events.length;
    const t0 = performance.now();
    const jobId = await stack.submit(video, { pipeline_id: 'yolo', max_frames: 1 });
    const answered = performance.now();
    const claimed = await log.next(
      (e) => e.job_id === jobId && e.message === 'job claimed',
      30_000,
      `claim of ${jobId}`,
      since,
    );
    await log.next(
      (e) => e.job_id === jobId && /^job (completed|failed)$/.test(e.message),
      60_000,
      `end of ${jobId}`,
      since,
    );
    submitMs.push(answered - t0);
    dispatchMs.push(Math.max(0, claimed.at - answered));
    if ((i + 1) % 50 === 0) console.log(`  ${i + 1}/${jobs} jobs`);
    await sleep(Math.random() * 100);
  }

  const row = (name: string, v: number[]) => [
    name,
    v.length,
    fixed(percentile(v, 50)),
    fixed(percentile(v, 90)),
    fixed(percentile(v, 99)),
    fixed(Math.max(...v)),
  ];
  console.log(`\n${jobs} jobs, one idle worker, 320x240 MP4, yolo max_frames 1`);
  console.log(
    table([
      ['measure', 'n', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
      row('submit -> running (dispatch)', dispatchMs),
      row('baseline: LPUSH->BRPOP + UPDATE', floorMs),
      row('submit request itself', submitMs),
    ]),
  );
  const p50 = percentile(dispatchMs, 50);
  console.log(
    `\ndispatch p50 is ${fixed(p50 / percentile(floorMs, 50), 1)}x the baseline p50; p99 ${fixed(percentile(dispatchMs, 99) / percentile(floorMs, 99), 1)}x`,
  );
  console.log(
    `load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    verdict(p50 < 50, `dispatch p50 ${fixed(p50)} ms (target < 50 ms), p99 ${fixed(percentile(dispatchMs, 99))} ms`),
  );
  return 0;
}

runScript(main, { maxSeconds: numberArg('max-seconds', 600) });
