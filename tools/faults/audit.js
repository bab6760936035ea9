'use strict';
// What became of a set of jobs, from the database (the source of truth), the workers' logs and
// the storage: completed, failed, lost (not final by the deadline), duplicated (completed by more
// than one worker, or more than one results object).
const { sleep } = require('../lib/stack');

const FINAL = new Set(['completed', 'failed']);

/** Polls the jobs table until every id is final or the deadline passes; returns the rows it saw. */
async function waitForJobs(stack, ids, timeoutMs) {
  const until = Date.now() + timeoutMs;
  let rows = [];
  for (;;) {
    rows = await stack.pool
      .query('SELECT * FROM jobs WHERE job_id = ANY($1)', [ids])
      .then((r) => r.rows)
      .catch(() => rows); // Postgres may be restarting
    if (rows.length === ids.length && rows.every((r) => FINAL.has(r.status))) return rows;
    if (Date.now() > until) return rows;
    await sleep(200);
  }
}

/** Every JSON log line of every worker process the stack has run (killed ones included). */
function workerEvents(stack) {
  const events = [];
  for (const w of stack.workers) {
    for (const line of w.lines) {
      if (!line.startsWith('{')) continue;
      try {
        events.push({ worker: w.id, ...JSON.parse(line) });
      } catch {
        // a line cut by SIGKILL
      }
    }
  }
  return events;
}

/**
 * @param {string[]} ids jobs submitted
 * @param {Set<string>} expectFailed ids that must end failed (broken videos); the rest must complete
 */
async function auditJobs(stack, ids, { expectFailed = new Set(), timeoutMs = 120_000 } = {}) {
  const rows = await waitForJobs(stack, ids, timeoutMs);
  const byId = new Map(rows.map((r) => [r.job_id, r]));
  const events = workerEvents(stack);
  const count = (message) => {
    const n = new Map();
    for (const e of events) if (e.message === message && e.job_id) n.set(e.job_id, (n.get(e.job_id) ?? 0) + 1);
    return n;
  };
  const completions = count('job completed');
  const claims = count('job claimed');
  const objects = stack.listObjects('video_jobs/');
  const resultsObjects = (id) => objects.filter((k) => k === `video_jobs/${id}_results.json`).length;

  const lost = ids.filter((id) => !FINAL.has(byId.get(id)?.status));
  const completed = ids.filter((id) => byId.get(id)?.status === 'completed');
  const failedAsExpected = ids.filter((id) => expectFailed.has(id) && byId.get(id)?.status === 'failed' && byId.get(id).error_message);
  const unexpected = ids.filter((id) => FINAL.has(byId.get(id)?.status) && (byId.get(id).status === 'failed') !== expectFailed.has(id));
  const duplicated = ids.filter((id) => (completions.get(id) ?? 0) > 1 || resultsObjects(id) > 1);
  const missingResults = completed.filter((id) => resultsObjects(id) !== 1);
  // attempts counts claims; a claim logged is a claim made (a SIGKILL can land between the two).
  const badAttempts = ids.filter((id) => byId.has(id) && FINAL.has(byId.get(id).status) && (byId.get(id).attempts < 1 || byId.get(id).attempts < (claims.get(id) ?? 0)));
  const retried = ids.filter((id) => (byId.get(id)?.attempts ?? 0) > 1);
  return { rows, byId, submitted: ids.length, completed, failedAsExpected, unexpected, lost, duplicated, missingResults, badAttempts, retried };
}

const sample = (list, n = 3) => list.slice(0, n).join(', ') + (list.length > n ? ', ...' : '');

module.exports = { auditJobs, waitForJobs, workerEvents, sample };
