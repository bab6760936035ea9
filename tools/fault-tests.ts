/**
 * `pnpm test:faults`: what the split stack survives (issue 5, docs/reliability.md). Scenarios, in
 * order, each on a fresh stack (own Postgres database, s3rver or local files) sharing one private
 * redis-server on a free loopback port (the suite restarts and flushes it):
 *   chaos     100 jobs through 3 workers, a random worker SIGKILLed every 2-4 s and replaced
 *   redis     SHUTDOWN NOSAVE mid-run (3 s down, jobs submitted meanwhile), then FLUSHALL
 *   postgres  the machine's Postgres restarted mid-run (pg_ctlcluster restart, ~1 s): /readyz 503,
 *             status never 500, same workers carry on
 *   bad-input 41 bad requests with API keys set: right 4xx, broken videos fail once, no orphans
 *   disk-full local storage on a 4 MiB tmpfs fills: 507 and nothing kept, /readyz 503, then a worker
 *             and retention give the space back (needs root to mount; says so and skips without)
 * Prints one summary table; exits 1 on any failed check.
 * Options: --only chaos,redis,postgres,bad-input,disk-full  --json FILE ({"passed","failed","checks","summary"})
 *          --chaos-jobs 100  --max-seconds 420
 * Needs `pnpm build`, Postgres (TEST_DATABASE_URL), redis-server on PATH, pg_ctlcluster for postgres.
 */
import fs from 'node:fs';
import path from 'node:path';
import { arg, numberArg } from './bench/lib/args';
import { onCleanup, runScript } from './bench/lib/cleanup';
import { table } from './bench/lib/stats';
import { testVideo } from './bench/lib/videos';
import { Checks, type ScenarioContext, type ScenarioResult } from './faults/checks';
import { startPrivateRedis } from './faults/redis-server';
import { chaosScenario } from './faults/chaos';
import { redisScenario } from './faults/redis-outage';
import { postgresScenario } from './faults/postgres-restart';
import { badInputScenario } from './faults/bad-input';
import { diskFullScenario } from './faults/disk-full';

const SCENARIOS: Record<string, (ctx: ScenarioContext) => Promise<ScenarioResult>> = {
  chaos: (ctx) => chaosScenario({ ...ctx, jobs: numberArg('chaos-jobs', 100) }),
  redis: redisScenario,
  postgres: postgresScenario,
  'bad-input': badInputScenario,
  'disk-full': diskFullScenario,
};
const only = arg('only', Object.keys(SCENARIOS).join(',')).split(',');
const jsonFile = arg('json');

type SummaryColumn =
  'scenario' | 'cases' | 'submitted' | 'completed' | 'failedAsExpected' | 'lost' | 'duplicated' | 'checks' | 'seconds';

/** An error's stack, and its cause's, for the check that says a scenario did not run to the end. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause =
    err.cause instanceof Error ? err.cause.stack : err.cause === undefined ? undefined : JSON.stringify(err.cause);
  return `${err.stack ?? String(err)}${cause ? `\ncaused by: ${cause}` : ''}`;
}

async function main() {
  const checks = new Checks();
  const summary: Record<SummaryColumn, string | number>[] = [];
  const started = Date.now();
  const video = await testVideo({ seconds: 1, width: 320, height: 240 });
  const redis = await startPrivateRedis();
  onCleanup(() => redis.stop());
  for (const name of only) {
    const scenarioFn = SCENARIOS[name];
    if (!scenarioFn) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    console.log(`\n== ${name}`);
    const t0 = Date.now();
    try {
      const { scenario, cases, audit } = await scenarioFn({ redis, video, checks });
      const { passed, failed } = checks.of(scenario);
      summary.push({
        scenario,
        cases,
        submitted: audit.submitted,
        completed: audit.completed.length,
        failedAsExpected: audit.failedAsExpected.length,
        lost: audit.lost.length,
        duplicated: audit.duplicated.length,
        checks: `${passed}/${passed + failed}`,
        seconds: Math.round((Date.now() - t0) / 1000),
      });
    } catch (err) {
      checks.check(name, `${name} ran to the end`, false, describe(err));
      summary.push({
        scenario: name,
        cases: 0,
        submitted: 0,
        completed: 0,
        failedAsExpected: 0,
        lost: '?',
        duplicated: '?',
        checks: 'error',
        seconds: Math.round((Date.now() - t0) / 1000),
      });
    }
  }
  const sum = (k: SummaryColumn) => summary.reduce((n, s) => n + (Number(s[k]) || 0), 0);
  const cols: SummaryColumn[] = [
    'scenario',
    'cases',
    'submitted',
    'completed',
    'failedAsExpected',
    'lost',
    'duplicated',
    'checks',
    'seconds',
  ];
  const rows = [
    [
      'scenario',
      'cases tried',
      'jobs submitted',
      'completed',
      'failed as expected',
      'lost',
      'duplicated',
      'checks passed',
      's',
    ],
    ...summary.map((s) => cols.map((k) => s[k])),
    [
      'total',
      sum('cases'),
      sum('submitted'),
      sum('completed'),
      sum('failedAsExpected'),
      sum('lost'),
      sum('duplicated'),
      `${checks.passed}/${checks.passed + checks.failed}`,
      Math.round((Date.now() - started) / 1000),
    ],
  ];
  console.log(`\n${table(rows)}`);
  for (const c of checks.list.filter((c) => !c.ok)) console.log(`FAILED  ${c.scenario}: ${c.name}: ${c.detail}`);
  console.log(`\nfault checks: ${checks.passed} passed, ${checks.failed} failed`);
  if (jsonFile) {
    fs.mkdirSync(path.dirname(path.resolve(jsonFile)), { recursive: true });
    fs.writeFileSync(
      jsonFile,
      `${JSON.stringify({ passed: checks.passed, failed: checks.failed, checks: checks.list, summary }, null, 2)}\n`,
    );
  }
  return checks.failed === 0 ? 0 : 1;
}

runScript(main, { maxSeconds: numberArg('max-seconds', 420) });
