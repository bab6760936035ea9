// The shared Postgres restarts (pg_ctlcluster restart, about a second) while jobs run. Meanwhile
// /readyz must say 503, GET /video/status must never answer 500, and the same worker processes
// must carry on and complete every job. The outage is kept short: other engineers use this server.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { startStack, sleep, type StackProcess } from '../lib/stack';
import { onCleanup } from '../bench/lib/cleanup';
import { auditJobs, sample, workerEvents } from './audit';
import type { ScenarioContext, ScenarioResult } from './checks';
import { FAST_LIFECYCLE, JOB_PARAMS } from './lifecycle-env';

const SCENARIO = 'postgres: restart';
const run = promisify(execFile);

function restartPostgres() {
  const version = fs.readdirSync('/etc/postgresql')[0];
  return run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart']);
}

/** Calls `path` every `everyMs` until stopped; keeps [time, status] of every answer. */
function poll(baseUrl: string, paths: string[], everyMs: number) {
  const seen: [number, number][] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const path = paths[Math.floor(Math.random() * paths.length)];
      const status = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(5000) }).then(
        (r) => r.status,
        () => 0,
      );
      seen.push([Date.now(), status]);
      await sleep(everyMs);
    }
  })();
  return { seen, stop: () => ((stopped = true), loop) };
}

export async function postgresScenario({
  redis,
  video,
  checks,
  jobs = 30,
}: ScenarioContext & { jobs?: number }): Promise<ScenarioResult> {
  const stack = await startStack({ storage: 'local', redisUrl: redis.url, env: FAST_LIFECYCLE });
  // Our own pool's idle connections die with the server; without a listener that is a crash.
  stack.pool.on('error', () => undefined);
  const stopStack = onCleanup(() => stack.stop());
  try {
    const api = await stack.startApi();
    const workers = await Promise.all([stack.startWorker(), stack.startWorker()]);
    // Longer jobs than elsewhere (20 frames), so several are running when the server goes away.
    const params = { ...JOB_PARAMS, max_frames: 20 };
    const ids: string[] = [];
    const before = Math.ceil((jobs * 2) / 3);
    for (let i = 0; i < before; i++) ids.push(await stack.submit(video, params));
    const status = poll(
      stack.baseUrl,
      ids.map((id) => `/video/status/${id}`),
      20,
    );
    const ready = poll(stack.baseUrl, ['/readyz'], 20);
    await sleep(300);
    const t0 = Date.now();
    await restartPostgres();
    const t1 = Date.now();
    await sleep(2000);
    // The API's pool must serve new submits too, once the server is back.
    for (let i = before; i < jobs; i++) ids.push(await stack.submit(video, params));
    await Promise.all([status.stop(), ready.stop()]);
    const audit = await auditJobs(stack, ids, { timeoutMs: 120_000 });

    const codes = (list: [number, number][]) => [...new Set(list.map(([, s]) => s))].sort().join(',');
    const readyDuring = ready.seen.filter(([t]) => t >= t0 && t <= t1 + 500);
    const statusBad = status.seen.filter(([, s]) => s >= 500 && s !== 503);
    const completedAfter = workerEvents(stack).filter(
      (e) => e.message === 'job completed' && Date.parse(e.timestamp) > t1,
    ).length;
    checks.check(
      SCENARIO,
      '/readyz answered 503 while Postgres was down',
      readyDuring.some(([, s]) => s === 503),
      `restart took ${t1 - t0} ms; /readyz codes then: ${codes(readyDuring)}`,
    );
    checks.check(
      SCENARIO,
      '/readyz answers 200 again after',
      ready.seen.at(-1)?.[1] === 200,
      `last: ${ready.seen.at(-1)?.[1]}`,
    );
    checks.check(
      SCENARIO,
      'GET /video/status never answered 500',
      statusBad.length === 0 && status.seen.every(([, s]) => s !== 0),
      `${status.seen.length} requests, codes ${codes(status.seen)}${statusBad.length ? `; API said: ${api.lines.find((l) => l.includes('unexpected error'))?.slice(0, 300)}` : ''}`,
    );
    const processes: StackProcess[] = [api, ...workers];
    checks.check(
      SCENARIO,
      'API and workers kept running (not restarted)',
      processes.every((p) => p.proc.exitCode === null && p.proc.signalCode === null),
      processes
        .filter((p) => p.proc.exitCode !== null || p.proc.signalCode !== null)
        .map((p) => `${p.name} exited ${p.proc.exitCode ?? p.proc.signalCode}: ${p.lines.slice(-3).join(' | ')}`)
        .join('; '),
    );
    checks.check(
      SCENARIO,
      'workers completed jobs after the restart',
      completedAfter > 0,
      `${completedAfter} completions after`,
    );
    checks.check(
      SCENARIO,
      `${jobs} jobs: every job completed`,
      audit.completed.length === jobs,
      `${audit.completed.length}/${jobs}`,
    );
    checks.check(
      SCENARIO,
      'no job lost or completed twice',
      audit.lost.length === 0 && audit.duplicated.length === 0,
      `lost: ${sample(audit.lost) || 0}; duplicated: ${sample(audit.duplicated) || 0}`,
    );
    return { scenario: SCENARIO, cases: 1, audit };
  } finally {
    stopStack();
    await stack.stop();
  }
}
