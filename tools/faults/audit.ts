// What became of a set of jobs, from the database (the source of truth), the workers' logs and
// the storage: completed, failed, lost (not final by the deadline), duplicated (completed by more
// than one worker, or more than one results object).
import type { Checks } from './checks';
import { sleep, type JobRow, type Stack } from '../lib/stack';

const FINAL = new Set<string | undefined>(['completed', 'failed']);

/** Polls the jobs table until every id is final or the deadline passes; returns the rows it saw. */
export async function waitForJobs(stack: Stack, ids: string[], timeoutMs: number): Promise<JobRow[]> {
  const until = Date.now() + timeoutMs;
  let rows: JobRow[] = [];
  for (;;) {
    rows = await stack.pool
      .query<JobRow>('SELECT * FROM jobs WHERE job_id = ANY($1)', [ids])
      .then((r) => r.rows)
      .catch(() => rows); // Postgres may be restarting
    if (rows.length === ids.length && rows.every((r) => FINAL.has(r.status))) return rows;
    if (Date.now() > until) return rows;
    await sleep(200);
  }
}

/** Every JSON log line of every worker process the stack has run (killed ones included). */
export interface WorkerEvent {
  worker: string | undefined;
  message: string;
  job_id?: string;
  timestamp: string;
}

export function workerEvents(stack: Stack): WorkerEvent[] {
  const events: WorkerEvent[] = [];
  for (const w of stack.workers) {
    for (const line of w.lines) {
      if (!line.startsWith('{')) continue;
      try {
        events.push({ ...(JSON.parse(line) as Omit<WorkerEvent, 'worker'>), worker: w.id });
      } catch {
        // a line cut by SIGKILL
      }
    }
  }
  return events;
}

export type Audit = Awaited<ReturnType<typeof auditJobs>>;

/**
 * `ids`: the jobs submitted; `expectFailed`: ids that must end failed (broken videos); the rest must complete.
 */
export async function auditJobs(
  stack: Stack,
  ids: string[],
  { expectFailed = new Set<string>(), timeoutMs = 120_000 } = {},
) {
  const rows = await waitForJobs(stack, ids, timeoutMs);
  const byId = new Map(rows.map((r) => [r.job_id, r]));
  const events = workerEvents(stack);
  const count = (message: string) => {
    const n = new Map<string, number>();
    for (const e of events) if (e.message === message && e.job_id) n.set(e.job_id, (n.get(e.job_id) ?? 0) + 1);
    return n;
  };
  const completions = count('job completed');
  const claims = count('job claimed');
  const objects = stack.listObjects('video_jobs/');
  const resultsObjects = (id: string) => objects.filter((k) => k === `video_jobs/${id}_results.json`).length;

  const lost = ids.filter((id) => !FINAL.has(byId.get(id)?.status));
  const completed = ids.filter((id) => byId.get(id)?.status === 'completed');
  const failedAsExpected = ids.filter(
    (id) => expectFailed.has(id) && byId.get(id)?.status === 'failed' && byId.get(id)?.error_message,
  );
  const unexpected = ids.filter(
    (id) => FINAL.has(byId.get(id)?.status) && (byId.get(id)?.status === 'failed') !== expectFailed.has(id),
  );
  const duplicated = ids.filter((id) => (completions.get(id) ?? 0) > 1 || resultsObjects(id) > 1);
  const missingResults = completed.filter((id) => resultsObjects(id) !== 1);
  // attempts counts claims; a claim logged is a claim made (a SIGKILL can land between the two).
  const badAttempts = ids.filter((id) => {
    const row = byId.get(id);
    return row !== undefined && FINAL.has(row.status) && (row.attempts < 1 || row.attempts < (claims.get(id) ?? 0));
  });
  const retried = ids.filter((id) => (byId.get(id)?.attempts ?? 0) > 1);
  return {
    rows,
    byId,
    submitted: ids.length,
    completed,
    failedAsExpected,
    unexpected,
    lost,
    duplicated,
    missingResults,
    badAttempts,
    retried,
  };
}

export const sample = (list: string[], n = 3): string => list.slice(0, n).join(', ') + (list.length > n ? ', ...' : '');

/** The two checks of every scenario that runs jobs: none lost, none completed twice. */
export function checkExactlyOnce(
  checks: Checks,
  scenario: string,
  audit: Audit,
  twiceName = 'no job completed twice',
): void {
  checks.check(
    scenario,
    'no job lost',
    audit.lost.length === 0,
    audit.lost.length ? `lost: ${sample(audit.lost)}` : '',
  );
  checks.check(
    scenario,
    twiceName,
    audit.duplicated.length === 0,
    audit.duplicated.length ? sample(audit.duplicated) : '',
  );
}
