/**
 * `pnpm bench:throughput`: jobs/s for --jobs (200) one-frame jobs (yolo, max_frames 1, a 2 s 720p
 * MP4) with 1, 2 and 4 worker processes (concurrency 1 each) on the split stack (Postgres, Redis,
 * local storage). For each count: start the workers and wait until they are ready, submit every
 * job from 8 concurrent clients, wait until all are final. Wall time is the database's own clock,
 * from the first job's created_at to the last job's final updated_at. The 1-worker run is the
 * baseline; the others print their speed-up over it (ideal: the number of workers, up to the cores).
 * Options: --jobs 200 --workers 1,2,4 --max-seconds 900
 */
import os from 'node:os';
import { startStack, type Stack } from '../lib/stack';
import { arg, numberArg } from './lib/args';
import { onCleanup, runScript } from './lib/cleanup';
import { eventHub } from './lib/process-events';
import { fixed, percentile, table } from './lib/stats';
import { testVideo } from './lib/videos';

const jobs = numberArg('jobs', 200);
const workerCounts = arg('workers', '1,2,4').split(',').map(Number);

async function runWith(stack: Stack, video: string, count: number) {
  const workers = await Promise.all(Array.from({ length: count }, () => stack.startWorker()));
  const hubs = workers.map(eventHub);
  const ids = await stack.submitMany(video, { pipeline_id: 'yolo', max_frames: 1 }, jobs, 8);
  const rows = await stack.waitForFinal(ids, 15 * 60_000);
  const {
    rows: [span],
  } = await stack.pool.query<{ seconds: string }>(
    'SELECT extract(epoch FROM max(updated_at) - min(created_at)) AS seconds FROM jobs WHERE job_id = ANY($1)',
    [ids],
  );
  const durations = hubs.flatMap((h) =>
    h.events.filter((e) => e.message === 'job completed').map((e) => Number(e.duration_ms)),
  );
  const perWorker = hubs.map((h) => h.events.filter((e) => e.message === 'job completed').length);
  hubs.forEach((h) => h.close());
  await Promise.all(workers.map((w) => stack.stopProcess(w, 'SIGTERM')));
  return {
    count,
    completed: rows.filter((r) => r.status === 'completed').length,
    seconds: Number(span.seconds),
    jobsPerSecond: jobs / Number(span.seconds),
    jobMsP50: percentile(durations, 50),
    perWorker,
  };
}

async function main() {
  console.log(
    `bench:throughput  cores: ${os.cpus().length}  load average before: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const video = await testVideo({ seconds: 2, width: 1280, height: 720 });
  const stack = await startStack({ storage: 'local', env: { WORKER_CONCURRENCY: '1' } });
  onCleanup(() => stack.stop());
  await stack.startApi();

  const results: Awaited<ReturnType<typeof runWith>>[] = [];
  for (const count of workerCounts) {
    const r = await runWith(stack, video, count);
    results.push(r);
    console.log(`  ${count} worker(s): ${r.completed}/${jobs} completed in ${fixed(r.seconds)} s`);
  }
  const base = results[0].jobsPerSecond;
  console.log(`\n${jobs} jobs (yolo, max_frames 1, 1280x720 2 s MP4) per run, workers with concurrency 1`);
  console.log(
    table([
      [
        'workers',
        'completed',
        'wall s',
        'jobs/s',
        `x ${results[0].count} worker`,
        'job p50 ms (in worker)',
        'jobs per worker',
      ],
      ...results.map((r) => [
        r.count,
        r.completed,
        fixed(r.seconds),
        fixed(r.jobsPerSecond, 2),
        fixed(r.jobsPerSecond / base, 2),
        fixed(r.jobMsP50, 0),
        r.perWorker.join('/'),
      ]),
    ]),
  );
  console.log(
    `load average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  return results.every((r) => r.completed === jobs) ? 0 : 1;
}

runScript(main, { maxSeconds: numberArg('max-seconds', 900) });
