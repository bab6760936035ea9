// Redis loses the queue twice while jobs are in flight: SHUTDOWN NOSAVE (server gone for 3 s, all
// ids dropped, jobs submitted meanwhile) and later FLUSHALL. The database keeps the jobs; the
// workers' requeue timer must find every pending one again. Same workers throughout.
import { startStack, sleep, type Stack } from '../lib/stack';
import { onCleanup } from '../bench/lib/cleanup';
import { auditJobs, checkExactlyOnce, workerEvents } from './audit';
import type { ScenarioContext, ScenarioResult } from './checks';
import { FAST_LIFECYCLE, JOB_PARAMS } from './lifecycle-env';

const SCENARIO = 'redis: restart + FLUSHALL';

async function submitBurst(stack: Stack, video: string, n: number): Promise<{ id?: string; error?: string }[]> {
  const answers = await Promise.all(
    Array.from({ length: n }, () =>
      stack.submit(video, JOB_PARAMS).then(
        (id) => ({ id }),
        (err: Error) => ({ error: String(err.message) }),
      ),
    ),
  );
  return answers;
}

export async function redisScenario({ redis, video, checks }: ScenarioContext): Promise<ScenarioResult> {
  const stack = await startStack({ storage: 'local', redisUrl: redis.url, env: FAST_LIFECYCLE });
  const stopStack = onCleanup(() => stack.stop());
  try {
    await stack.startApi();
    const workers = await Promise.all([stack.startWorker(), stack.startWorker()]);
    const answers: { id?: string; error?: string }[] = [];
    answers.push(...(await submitBurst(stack, video, 20)));
    await redis.shutdownNosave(); // the ids of the burst not yet taken are gone
    const during = await submitBurst(stack, video, 10); // the API cannot LPUSH: rows only
    answers.push(...during);
    await sleep(3000);
    await redis.start();
    answers.push(...(await submitBurst(stack, video, 20)));
    await redis.flushall(); // and again, with the queue full
    const ids = answers.flatMap((a) => (a.id ? [a.id] : []));
    const audit = await auditJobs(stack, ids, { timeoutMs: 120_000 });

    const refused = answers.filter((a) => a.error);
    checks.check(
      SCENARIO,
      'submits while Redis is down are accepted (the row is the job)',
      during.every((a) => a.id),
      refused.length ? `refused: ${refused[0].error}` : `${during.length}/${during.length} answered 202`,
    );
    const requeued = workerEvents(stack).filter((e) => e.message === 'stale pending job requeued').length;
    checks.check(
      SCENARIO,
      `${ids.length} jobs: every job completed`,
      audit.completed.length === ids.length,
      `${audit.completed.length}/${ids.length}; ${requeued} queue entries restored by the requeue timer`,
    );
    checkExactlyOnce(checks, SCENARIO, audit);
    checks.check(
      SCENARIO,
      'workers recovered without being restarted',
      workers.every((w) => w.proc.exitCode === null && w.proc.signalCode === null) && stack.workers.length === 2,
    );
    return { scenario: SCENARIO, cases: 2, audit };
  } finally {
    stopStack();
    await stack.stop();
  }
}
