// The bad-input corpus against the split stack with API keys set and a small MAX_UPLOAD_BYTES:
// every case gets its expected status (never a 500, errors as problem+json), broken videos fail
// their job once with a message, and afterwards storage and the jobs table agree: no object
// without a row, no row without its input, no row for a refused upload, every key a job's key.
import fs from 'node:fs';
import { startStack, sleep, type JobRow, type Stack } from '../lib/stack';
import { onCleanup } from '../bench/lib/cleanup';
import { audioOnlyMp4, moovAtEndVideo, pngImage } from '../bench/lib/videos';
import { auditJobs, sample } from './audit';
import { uploadCases, lookups, buildRequest, type Case, type CaseFiles } from './bad-input-cases';
import type { ScenarioContext, ScenarioResult } from './checks';
import { request, type Answer } from './http';
import { FAST_LIFECYCLE } from './lifecycle-env';

const SCENARIO = 'bad input';
const LIMIT = 4 * 1024 * 1024;
const KEYS = { own: 'fault-key-own', other: 'fault-key-other' };
const KEY_PATTERN =
  /^video_jobs\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\.mp4|_results\.json|_results\.index)$/;

async function runCase(stack: Stack, c: Case, files: CaseFiles): Promise<{ res: Answer; problems: string[] }> {
  const req = buildRequest(c, files, KEYS);
  const res = await request(stack.baseUrl, req.path, req);
  const problems: string[] = [];
  if (!c.expect.includes(res.status))
    problems.push(
      `got ${res.status}${res.error ? ` (${res.error.code ?? res.error.message})` : ''}: ${String(res.body ?? '').slice(0, 160)}`,
    );
  if (res.status >= 400 && !String(res.contentType).startsWith('application/problem+json'))
    problems.push(`content-type ${res.contentType}`);
  if (res.status >= 400 && res.json && !(res.json.title && res.json.detail && res.json.status === res.status))
    problems.push('problem body lacks title/detail/status');
  return { res, problems };
}

export async function badInputScenario({ redis, video, checks }: ScenarioContext): Promise<ScenarioResult> {
  const stack = await startStack({
    storage: 's3',
    redisUrl: redis.url,
    env: { ...FAST_LIFECYCLE, API_KEYS: `${KEYS.own},${KEYS.other}`, MAX_UPLOAD_BYTES: String(LIMIT) },
  });
  const stopStack = onCleanup(() => stack.stop());
  try {
    await stack.startApi();
    await stack.startWorker();
    const files: CaseFiles = {
      video: fs.readFileSync(video),
      png: fs.readFileSync(await pngImage()),
      moovAtEnd: fs.readFileSync(await moovAtEndVideo()),
      audioOnly: fs.readFileSync(await audioOnlyMp4()),
      limit: LIMIT,
      jobs: new Map(),
    };
    const accepted: { c: Case; id: string }[] = [];
    const results: [Case, { res: Answer; problems: string[] }][] = [];
    for (const c of uploadCases) {
      const r = await runCase(stack, c, files);
      results.push([c, r]);
      if (r.res.status === 202 && r.res.json?.job_id) {
        files.jobs.set(c.name, r.res.json.job_id);
        accepted.push({ c, id: r.res.json.job_id });
      }
    }
    const expectFailed = new Set(accepted.filter((a) => a.c.job === 'failed').map((a) => a.id));
    const ids = accepted.map((a) => a.id);
    const audit = await auditJobs(stack, ids, { expectFailed, timeoutMs: 90_000 });
    for (const c of lookups) results.push([c, await runCase(stack, c, files)]);

    for (const [c, { res, problems }] of results) {
      const id = files.jobs.get(c.name);
      const row = id ? audit.byId.get(id) : undefined;
      if (id && c.job === 'failed' && !(row?.status === 'failed' && row.error_message && row.attempts === 1)) {
        problems.push(
          `job ${row?.status ?? 'missing'}, attempts ${row?.attempts}, error ${JSON.stringify(row?.error_message)}`,
        );
      }
      if (id && c.job === 'completed' && row?.status !== 'completed')
        problems.push(`job ${row?.status ?? 'missing'}: ${row?.error_message ?? ''}`);
      const outcome = row
        ? `${res.status}, job ${row.status}${row.status === 'failed' ? `: "${String(row.error_message).slice(0, 70)}"` : ''}`
        : `${res.status || 'no answer'}`;
      checks.check(SCENARIO, c.name, problems.length === 0, problems.length ? problems.join('; ') : outcome);
    }

    await sleep(1000); // a hung-up upload's clean-up runs after the connection is gone
    const objects = stack.listObjects('video_jobs/');
    const { rows } = await stack.pool.query<Pick<JobRow, 'job_id' | 'input_path' | 'output_path'>>(
      'SELECT job_id, input_path, output_path FROM jobs',
    );
    const rowIds = new Set(rows.map((r) => r.job_id));
    const orphanObjects = objects.filter((k) => !rowIds.has(k.slice('video_jobs/'.length, 'video_jobs/'.length + 36)));
    const orphanRows = rows.filter((r) => !ids.includes(r.job_id) || !objects.includes(r.input_path));
    const strangeKeys = objects.filter((k) => !KEY_PATTERN.test(k));
    checks.check(
      SCENARIO,
      'no 500 in any answer',
      results.every(([, r]) => r.res.status !== 500),
    );
    checks.check(
      SCENARIO,
      'no orphan object in storage',
      orphanObjects.length === 0,
      `${objects.length} objects${orphanObjects.length ? `; orphans: ${sample(orphanObjects)}` : ''}`,
    );
    checks.check(
      SCENARIO,
      'no orphan row (one row per 202, each with its input)',
      orphanRows.length === 0 && rows.length === ids.length,
      `${rows.length} rows for ${ids.length} accepted uploads${orphanRows.length ? `; orphans: ${sample(orphanRows.map((r) => r.job_id))}` : ''}`,
    );
    checks.check(
      SCENARIO,
      'every stored key is video_jobs/<job uuid>... (client filenames unused)',
      strangeKeys.length === 0,
      sample(strangeKeys),
    );
    return { scenario: SCENARIO, cases: uploadCases.length + lookups.length, audit };
  } finally {
    stopStack();
    await stack.stop();
  }
}
