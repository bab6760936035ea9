// 100 jobs through 3 workers while a chaos loop SIGKILLs a random worker every 2-4 s and starts a
// replacement. Every job must complete exactly once: one completion, one results object, intact
// results, attempts recorded; none lost.
import { startStack, sleep } from '../lib/stack';
import { onCleanup } from '../bench/lib/cleanup';
import { auditJobs, checkExactlyOnce, sample } from './audit';
import type { ScenarioContext, ScenarioResult } from './checks';
import { FAST_LIFECYCLE, JOB_PARAMS } from './lifecycle-env';

const SCENARIO = 'chaos: SIGKILL workers';
// Longer jobs than elsewhere (15 frames, a few hundred ms), so the run lasts long enough for
// several kills and most kills land on a running job.
const PARAMS = { ...JOB_PARAMS, max_frames: 15 };

export async function chaosScenario({
  redis,
  video,
  checks,
  jobs = 100,
}: ScenarioContext & { jobs?: number }): Promise<ScenarioResult> {
  // A job can be hit by more than one kill; MAX_ATTEMPTS 10 keeps "every job completes" about the
  // lifecycle, not about the dice. (The reaper failing a job after MAX_ATTEMPTS is tested in core.)
  const stack = await startStack({
    storage: 's3',
    redisUrl: redis.url,
    env: { ...FAST_LIFECYCLE, MAX_ATTEMPTS: '10' },
  });
  const stopStack = onCleanup(() => stack.stop());
  try {
    await stack.startApi();
    await Promise.all([stack.startWorker(), stack.startWorker(), stack.startWorker()]);
    const kills: (string | undefined)[] = [];
    let done = false;
    const chaos = (async () => {
      while (!done) {
        await sleep(2000 + Math.random() * 2000);
        if (done) break;
        const live = stack.workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
        const victim = live[Math.floor(Math.random() * live.length)];
        if (!victim) continue;
        await stack.stopProcess(victim, 'SIGKILL');
        kills.push(victim.id);
        await stack.startWorker();
      }
    })();
    const ids = await stack.submitMany(video, PARAMS, jobs, 4);
    const audit = await auditJobs(stack, ids, { timeoutMs: 150_000 });
    done = true;
    await chaos;

    const broken: string[] = [];
    for (const id of audit.completed) {
      const res = (await fetch(`${stack.baseUrl}/video/results/${id}`).then((r) => r.json())) as { results?: unknown };
      if (!Array.isArray(res.results) || res.results.length !== PARAMS.max_frames) broken.push(id);
    }
    checks.check(
      SCENARIO,
      `${jobs} jobs: every job completed`,
      audit.completed.length === jobs,
      `${audit.completed.length}/${jobs} completed, ${kills.length} workers SIGKILLed`,
    );
    checkExactlyOnce(checks, SCENARIO, audit, 'no job completed twice, at most one results object each');
    checks.check(
      SCENARIO,
      'one results object per completed job',
      audit.missingResults.length === 0,
      audit.missingResults.length ? sample(audit.missingResults) : '',
    );
    checks.check(
      SCENARIO,
      `results intact (${PARAMS.max_frames} frames each)`,
      broken.length === 0,
      broken.length ? sample(broken) : '',
    );
    checks.check(
      SCENARIO,
      'attempts recorded (>= claims logged)',
      audit.badAttempts.length === 0,
      audit.badAttempts.length ? sample(audit.badAttempts) : '',
    );
    checks.check(
      SCENARIO,
      'kills hit running jobs (some jobs needed a second attempt)',
      audit.retried.length > 0,
      `${audit.retried.length} jobs retried, max attempts ${Math.max(...audit.rows.map((r) => r.attempts))}`,
    );
    return { scenario: SCENARIO, cases: 1, audit };
  } finally {
    stopStack();
    await stack.stop();
  }
}
