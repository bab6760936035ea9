#!/usr/bin/env node
/**
 * `pnpm test:faults`: what the split stack survives (issue 5, docs/reliability.md). Scenarios, in
 * order, each on a fresh stack (own Postgres database, s3rver or local files) sharing one private
 * redis-server on a free loopback port (the suite restarts and flushes it):
 *   chaos     100 jobs through 3 workers, a random worker SIGKILLed every 2-4 s and replaced
 *   redis     SHUTDOWN NOSAVE mid-run (3 s down, jobs submitted meanwhile), then FLUSHALL
 *   postgres  the machine's Postgres restarted mid-run (pg_ctlcluster restart, ~1 s): /readyz 503,
 *             status never 500, same workers carry on
 *   bad-input 41 bad requests with API keys set: right 4xx, broken videos fail once, no orphans
 * Prints one summary table; exits 1 on any failed check.
 * Options: --only chaos,redis,postgres,bad-input  --json FILE ({"passed","failed","checks","summary"})
 *          --chaos-jobs 100  --max-seconds 420
 * Needs `pnpm build`, Postgres (TEST_DATABASE_URL), redis-server on PATH, pg_ctlcluster for postgres.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { arg, numberArg } = require('./bench/lib/args');
const { onCleanup, runScript } = require('./bench/lib/cleanup');
const { table } = require('./bench/lib/stats');
const { testVideo } = require('./bench/lib/videos');
const { Checks } = require('./faults/checks');
const { startPrivateRedis } = require('./faults/redis-server');
const { chaosScenario } = require('./faults/chaos');
const { redisScenario } = require('./faults/redis-outage');
const { postgresScenario } = require('./faults/postgres-restart');
const { badInputScenario } = require('./faults/bad-input');

const SCENARIOS = {
  chaos: (ctx) => chaosScenario({ ...ctx, jobs: numberArg('chaos-jobs', 100) }),
  redis: redisScenario,
  postgres: postgresScenario,
  'bad-input': badInputScenario,
};
const only = arg('only', Object.keys(SCENARIOS).join(',')).split(',');
const jsonFile = arg('json');

async function main() {
  const checks = new Checks();
  const summary = [];
  const started = Date.now();
  const video = await testVideo({ seconds: 1, width: 320, height: 240 });
  const redis = await startPrivateRedis();
  onCleanup(() => redis.stop());
  for (const name of only) {
    if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}; known: ${Object.keys(SCENARIOS).join(', ')}`);
    console.log(`\n== ${name}`);
    const t0 = Date.now();
    try {
      const { scenario, cases, audit } = await SCENARIOS[name]({ redis, video, checks });
      const { passed, failed } = checks.of(scenario);
      summary.push({
        scenario, cases, submitted: audit.submitted, completed: audit.completed.length,
        failedAsExpected: audit.failedAsExpected.length, lost: audit.lost.length, duplicated: audit.duplicated.length,
        checks: `${passed}/${passed + failed}`, seconds: Math.round((Date.now() - t0) / 1000),
      });
    } catch (err) {
      checks.check(name, `${name} ran to the end`, false, `${err.stack ?? err}${err.cause ? `\ncaused by: ${err.cause.stack ?? err.cause}` : ''}`);
      summary.push({ scenario: name, cases: 0, submitted: 0, completed: 0, failedAsExpected: 0, lost: '?', duplicated: '?', checks: 'error', seconds: Math.round((Date.now() - t0) / 1000) });
    }
  }
  const sum = (k) => summary.reduce((n, s) => n + (Number(s[k]) || 0), 0);
  const cols = ['scenario', 'cases', 'submitted', 'completed', 'failedAsExpected', 'lost', 'duplicated', 'checks', 'seconds'];
  const rows = [
    ['scenario', 'cases tried', 'jobs submitted', 'completed', 'failed as expected', 'lost', 'duplicated', 'checks passed', 's'],
    ...summary.map((s) => cols.map((k) => s[k])),
    ['total', sum('cases'), sum('submitted'), sum('completed'), sum('failedAsExpected'), sum('lost'), sum('duplicated'),
      `${checks.passed}/${checks.passed + checks.failed}`, Math.round((Date.now() - started) / 1000)],
  ];
  console.log(`\n${table(rows)}`);
  for (const c of checks.list.filter((c) => !c.ok)) console.log(`FAILED  ${c.scenario}: ${c.name}: ${c.detail}`);
  console.log(`\nfault checks: ${checks.passed} passed, ${checks.failed} failed`);
  if (jsonFile) {
    fs.mkdirSync(path.dirname(path.resolve(jsonFile)), { recursive: true });
    fs.writeFileSync(jsonFile, `${JSON.stringify({ passed: checks.passed, failed: checks.failed, checks: checks.list, summary }, null, 2)}\n`);
  }
  return checks.failed === 0 ? 0 : 1;
}

runScript(main, { maxSeconds: numberArg('max-seconds', 420) });
