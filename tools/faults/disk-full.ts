// Local storage fills up on a real small filesystem (a tmpfs as DATA_DIR), the way a volume sized
// for a week fills in a busy one: uploads arrive with no worker running until one no longer fits.
// That upload must answer 507 and leave nothing behind, /readyz must say why the API is not ready,
// and the jobs already taken must lose nothing. Then a worker starts: it completes every job, input
// retention (INPUT_RETENTION_MS=0) gives the inputs' space back as each job finishes, /readyz is
// ready again and uploads are taken again, with no operator in the loop; RETENTION_MS later the
// jobs are gone with all their objects. Needs root (mount); without it the scenario says so and
// runs no checks.
import fs from 'node:fs';
import path from 'node:path';
import { mountSmallFilesystem } from '../../packages/core/src/test-support/small-filesystem';
import { onCleanup } from '../bench/lib/cleanup';
import { paddedVideo } from '../bench/lib/videos';
import { isTempFileName, sleep, startStack, waitUntil, type Stack } from '../lib/stack';
import { auditJobs, checkExactlyOnce, sample } from './audit';
import type { ScenarioContext, ScenarioResult } from './checks';
import { FAST_LIFECYCLE, JOB_PARAMS } from './lifecycle-env';

const SCENARIO = 'disk: full, freed by retention';
const KiB = 1024;
const MiB = 1024 * KiB;
const FS_BYTES = 4 * MiB;
const VIDEO_BYTES = 600 * KiB;
const MIN_FREE_BYTES = 1 * MiB;
const RETENTION_MS = 20_000;

const readyz = (stack: Stack) =>
  fetch(`${stack.baseUrl}/readyz`).then(async (r) => ({ status: r.status, body: await r.text() }));

export async function diskFullScenario({ redis, checks }: ScenarioContext): Promise<ScenarioResult> {
  const disk = await mountSmallFilesystem(FS_BYTES);
  const unmount = onCleanup(() => disk.close());
  if (!disk.mounted) {
    console.log(`  skipped: no small filesystem could be mounted (${disk.refused}); run as root`);
    unmount();
    await disk.close();
    return { scenario: SCENARIO, cases: 0, audit: emptyAudit() };
  }
  const video = await paddedVideo(VIDEO_BYTES);
  const stack = await startStack({
    storage: 'local',
    redisUrl: redis.url,
    env: {
      ...FAST_LIFECYCLE,
      DATA_DIR: disk.dir,
      MIN_FREE_BYTES: String(MIN_FREE_BYTES),
      RETENTION_MS: String(RETENTION_MS),
      INPUT_RETENTION_MS: '0',
    },
  });
  const stopStack = onCleanup(() => stack.stop());
  try {
    await stack.startApi();
    // /healthz answers once the API listens; /readyz also waits for its Redis connection.
    let ready = await readyz(stack);
    for (const until = Date.now() + 10_000; ready.status !== 200 && Date.now() < until; ready = await readyz(stack)) {
      await sleep(100);
    }
    checks.check(SCENARIO, '/readyz is ready on the empty disk', ready.status === 200, `${ready.status} ${ready.body}`);

    // Fill: no worker yet, so every accepted upload stays.
    const accepted: string[] = [];
    let refusal: { status: number; body: Record<string, unknown> } | undefined;
    for (let i = 0; i < Math.ceil(FS_BYTES / VIDEO_BYTES) + 2 && !refusal; i++) {
      const answer = await stack.submitAnswer(video, JOB_PARAMS);
      if (answer.status === 202) accepted.push(String(answer.body.job_id));
      else refusal = answer;
    }
    const detail = typeof refusal?.body.detail === 'string' ? refusal.body.detail : JSON.stringify(refusal?.body);
    checks.check(
      SCENARIO,
      'the upload that no longer fits answers 507 naming the full disk',
      refusal?.status === 507 && /no space left on the storage device \(ENOSPC\)/.test(detail),
      refusal ? `${refusal.status} after ${accepted.length} accepted: ${detail}` : `all ${accepted.length} accepted`,
    );
    const files = stack.listObjects('video_jobs/');
    const rows = (await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')).rows[0].n;
    const leftovers = listAll(disk.dir).filter((f) => isTempFileName(path.basename(f)));
    checks.check(
      SCENARIO,
      'the refused upload left no object, row or partial file',
      files.length === accepted.length && rows === accepted.length && leftovers.length === 0,
      `${files.length} objects and ${rows} rows for ${accepted.length} accepted; partial files: ${sample(leftovers)}`,
    );
    const full = await readyz(stack);
    checks.check(
      SCENARIO,
      '/readyz answers 503 naming free_space while the disk is below MIN_FREE_BYTES',
      full.status === 503 && full.body.includes('free_space') && full.body.includes('MIN_FREE_BYTES'),
      `${full.status} ${full.body.slice(0, 160)}`,
    );

    // A worker drains the backlog; each finished job's input is deleted by the next maintenance pass.
    await stack.startWorker();
    const audit = await auditJobs(stack, accepted, { timeoutMs: 90_000 });
    checks.check(
      SCENARIO,
      `the ${accepted.length} jobs taken before the disk filled all complete`,
      audit.completed.length === accepted.length,
      `${audit.completed.length}/${accepted.length}`,
    );
    checkExactlyOnce(checks, SCENARIO, audit);
    const inputsGone = await waitUntil(
      () => stack.listObjects('video_jobs/').every((k) => !k.endsWith('.mp4')),
      10_000,
    ).then(
      () => true,
      () => false,
    );
    const again = await readyz(stack);
    checks.check(
      SCENARIO,
      'input retention gives the space back: /readyz ready again with no operator',
      inputsGone && again.status === 200,
      `inputs deleted: ${inputsGone}; /readyz ${again.status}; ${Math.round((await disk.freeBytes()) / KiB)} KiB free`,
    );
    const after = await stack.submitAnswer(video, JOB_PARAMS);
    const lateIds = after.status === 202 ? [String(after.body.job_id)] : [];
    const late = await auditJobs(stack, lateIds, { timeoutMs: 60_000 });
    checks.check(
      SCENARIO,
      'uploads are taken again, and complete',
      after.status === 202 && late.completed.length === 1,
      `${after.status}; ${late.completed.length} completed`,
    );

    // RETENTION_MS after finishing, the jobs and their results leave too.
    const deadline = RETENTION_MS + 15_000;
    const finishedRowsGone = await waitUntil(async () => {
      const { rows: left } = await stack.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs');
      return left[0].n === 0 && stack.listObjects('video_jobs/').length === 0;
    }, deadline).then(
      () => true,
      () => false,
    );
    checks.check(
      SCENARIO,
      'RETENTION_MS later every job is deleted with all its objects',
      finishedRowsGone,
      `${stack.listObjects('video_jobs/').length} objects left`,
    );
    return {
      scenario: SCENARIO,
      cases: 1,
      audit: {
        ...audit,
        submitted: accepted.length + lateIds.length,
        completed: [...audit.completed, ...late.completed],
        lost: [...audit.lost, ...late.lost],
        duplicated: [...audit.duplicated, ...late.duplicated],
      },
    };
  } finally {
    stopStack();
    await stack.stop();
    unmount();
    await disk.close();
  }
}

function listAll(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f));
}

function emptyAudit(): ScenarioResult['audit'] {
  return {
    rows: [],
    byId: new Map(),
    submitted: 0,
    completed: [],
    failedAsExpected: [],
    unexpected: [],
    lost: [],
    duplicated: [],
    missingResults: [],
    badAttempts: [],
    retried: [],
  };
}
