/**
 * `pnpm bench:paging`: what a page costs as history grows (issue 12), on the split stack's API over
 * real Postgres and local storage.
 *   listing  GET /video/jobs (limit --limit, 20): the first page, a page halfway down the table via
 *            its cursor, and the same deep page filtered to status=failed. One stack per table size
 *            (--sizes, default 0,1000,2000000 jobs, seeded in SQL into each stack's own database,
 *            which the bench creates and drops); the sizes take turns round by round, so load from
 *            other work falls on all of them. Baseline: the empty table (a page of nothing) and
 *            1,000 jobs (the same page shapes as on 2 million). Target: 2 million within 1.5x.
 *   results  GET /video/results/{id}?from_frame=N&limit=--results-limit (1000) of a --results-mb
 *            (200) MB results file written with its frame-offset index by core's own writer: the
 *            first page (baseline), a middle page and the last page, and the last page of a job
 *            whose frame_stride makes the index guess miss (binary search by range reads).
 *            Target: the last page within 1.5x of the first.
 * Every page is checked: the deep listing page starts right after its cursor's job, and each
 * results page holds the frames it should. Medians of --rounds (5) x --requests (20) sequential
 * requests per case on one keep-alive connection.
 * Options: --sizes 0,1000,2000000 --rounds 5 --requests 20 --limit 20 --results-mb 200
 *          --results-limit 1000 --only listing,results --max-seconds 1500
 * Needs `pnpm build`, Postgres (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL) on loopback.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { LocalStorage, ResultsIndexBuilder, resultsIndexKey, resultsJsonStream, resultsKey } from '@video-jobs/core';
import { startStack, type Stack } from '../lib/stack';
import { arg, numberArg } from './lib/args';
import { onCleanup, runScript } from './lib/cleanup';
import { seedFinishedJobs } from './lib/seed-jobs';
import { fixed, percentile, table, verdict, type Cell } from './lib/stats';
import { closeTimedGetAgent, timedGet, timeRepeated } from './lib/timed-get';

const sizes = arg('sizes', '0,1000,2000000').split(',').map(Number);
const rounds = numberArg('rounds', 5);
const requests = numberArg('requests', 20);
const limit = numberArg('limit', 20);
const resultsBytes = Math.round(numberArg('results-mb', 200) * 1e6);
const resultsLimit = numberArg('results-limit', 1000);
const only = arg('only', 'listing,results').split(',');

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const median = (v: number[]) => percentile(v, 50);

interface Case {
  name: string;
  path: string;
}

/**
 * The cursor GET /video/jobs gives out after a job: base64url of "<created_at in µs>.<job_id>"
 * (apps/api/src/routes/job-list.ts). Built here to jump halfway down 2 million jobs without paging
 * there; the check in listingCases fails loudly if the format ever changes.
 */
const cursorAfter = (createdUs: string, jobId: string) =>
  Buffer.from(`${createdUs}.${jobId}`, 'utf8').toString('base64url');

/** The listing cases of one stack, each checked once against the database. */
async function listingCases(stack: Stack, size: number): Promise<Case[]> {
  // Halfway down, newest first; on the empty table a position a day ago (a page of nothing).
  const { rows } = await stack.pool.query<{ us: string; job_id: string }>(
    `SELECT (extract(epoch from created_at) * 1000000)::bigint::text AS us, job_id FROM jobs
     ORDER BY created_at DESC, job_id DESC OFFSET $1 LIMIT 2`,
    [Math.floor(size / 2)],
  );
  const cursor = rows[0]
    ? cursorAfter(rows[0].us, rows[0].job_id)
    : cursorAfter(String((Date.now() - 86_400_000) * 1000), randomUUID());
  const cases: Case[] = [
    { name: 'first page', path: `/video/jobs?limit=${limit}` },
    { name: `page after job ${Math.floor(size / 2)}`, path: `/video/jobs?limit=${limit}&cursor=${cursor}` },
    { name: 'same, status=failed', path: `/video/jobs?limit=${limit}&status=failed&cursor=${cursor}` },
  ];
  const want = Math.min(limit, Math.max(0, size - Math.floor(size / 2) - 1));
  const deep = JSON.parse((await timedGet(`${stack.baseUrl}${cases[1].path}`)).body) as { jobs: { job_id: string }[] };
  if (deep.jobs.length !== want || (rows[1] && deep.jobs[0]?.job_id !== rows[1].job_id)) {
    throw new Error(`the deep page on ${size} jobs does not start after its cursor's job: ${JSON.stringify(deep)}`);
  }
  const failed = JSON.parse((await timedGet(`${stack.baseUrl}${cases[2].path}`)).body) as {
    jobs: { status: string }[];
  };
  if (failed.jobs.some((j) => j.status !== 'failed')) throw new Error('status=failed listed other statuses');
  return cases;
}

async function listingBench(verdicts: string[]): Promise<void> {
  const stacks: { size: number; stack: Stack; cases: Case[] }[] = [];
  for (const size of sizes) {
    const stack = await startStack({ storage: 'local' });
    onCleanup(() => stack.stop());
    await stack.startApi(); // migrates the new database
    if (size > 0) {
      const seconds = await seedFinishedJobs(stack.pool, {
        count: size,
        onProgress: (done) => size >= 500_000 && console.log(`  seeded ${done}/${size} jobs`),
      });
      console.log(`  ${size} jobs seeded in ${fixed(seconds)} s (with VACUUM ANALYZE)`);
    }
    stacks.push({ size, stack, cases: await listingCases(stack, size) });
  }
  // Warm-up: JIT, pools, the buffer cache for every case.
  for (const s of stacks) for (const c of s.cases) await timeRepeated(`${s.stack.baseUrl}${c.path}`, 5);
  const times = new Map<string, number[]>();
  const key = (size: number, c: Case) => `${size}|${c.name}`;
  for (let round = 0; round < rounds; round++) {
    for (const s of round % 2 === 0 ? stacks : [...stacks].reverse()) {
      for (const c of s.cases) {
        const t = await timeRepeated(`${s.stack.baseUrl}${c.path}`, requests);
        times.set(key(s.size, c), [...(times.get(key(s.size, c)) ?? []), ...t]);
      }
    }
  }
  const base = stacks[0];
  const rowsOut: Cell[][] = [['jobs in table', 'case', 'requests', 'p50 ms', 'p90 ms', `p50 / ${base.size} jobs`]];
  for (const s of stacks) {
    s.cases.forEach((c, i) => {
      const t = times.get(key(s.size, c)) ?? [];
      const b = times.get(key(base.size, base.cases[i])) ?? [];
      rowsOut.push([
        s.size,
        c.name,
        t.length,
        fixed(median(t), 2),
        fixed(percentile(t, 90), 2),
        fixed(median(t) / median(b), 2),
      ]);
    });
  }
  console.log(`\nlisting: GET /video/jobs?limit=${limit}, ${rounds} rounds x ${requests} sequential requests per case`);
  console.log(table(rowsOut));
  const largest = stacks[stacks.length - 1];
  for (const ref of stacks.slice(0, -1)) {
    const ratios = largest.cases.map(
      (c, i) => median(times.get(key(largest.size, c)) ?? []) / median(times.get(key(ref.size, ref.cases[i])) ?? []),
    );
    verdicts.push(
      verdict(
        Math.max(...ratios) <= 1.5,
        `listing on ${largest.size} jobs vs ${ref.size}: ${largest.cases.map((c, i) => `${c.name} ${fixed(ratios[i], 2)}x`).join(', ')} (target <= 1.50x)`,
      ),
    );
  }
}

/** A results file of about `bytes` with its index, written by core's own writer into local storage. */
async function writeLargeResults(
  stack: Stack,
  jobId: string,
  bytes: number,
): Promise<{ frames: number; bytes: number }> {
  const storage = new LocalStorage(path.join(stack.env.DATA_DIR, 'objects'));
  const index = new ResultsIndexBuilder();
  let frames = 0;
  let written = 0;
  async function* results() {
    while (written < bytes) {
      const detections = Array.from({ length: 4 }, (_, k) => ({
        label: 'person',
        class_id: 0,
        confidence: 0.9132,
        box: [10.5 + k, 20.5, 300.5, 400.5],
      }));
      const frame = { frame_index: frames, result: { timestamp_ms: Math.round(frames * 33.3), detections } };
      written += JSON.stringify(frame).length + 1;
      frames++;
      yield frame;
    }
  }
  const { bytes: size } = await storage.put(resultsKey(jobId), resultsJsonStream(results(), index));
  await storage.put(resultsIndexKey(jobId), Readable.from([index.toBuffer()]));
  return { frames, bytes: size };
}

async function insertCompleted(stack: Stack, jobId: string, outputKey: string, frameStride: number): Promise<void> {
  await stack.pool.query(
    `INSERT INTO jobs (job_id, status, created_at, updated_at, input_path, output_path, pipeline_id, frame_stride, attempts)
     VALUES ($1, 'completed', now(), now(), $2, $3, 'yolo', $4, 1)`,
    [jobId, `video_jobs/${jobId}.mp4`, outputKey, frameStride],
  );
}

async function resultsBench(verdicts: string[]): Promise<void> {
  const stack = await startStack({ storage: 'local' });
  onCleanup(() => stack.stop());
  await stack.startApi();
  const jobId = randomUUID();
  console.log(`  writing a ${fixed(resultsBytes / 1e6, 0)} MB results file and its index...`);
  const file = await writeLargeResults(stack, jobId, resultsBytes);
  await insertCompleted(stack, jobId, resultsKey(jobId), 1);
  // The same results under a job whose frame_stride (7) does not match its frame indexes (every
  // frame): the page's position guessed from the stride is wrong, so the reader binary-searches.
  const missId = randomUUID();
  const objects = path.join(stack.env.DATA_DIR, 'objects');
  fs.linkSync(path.join(objects, resultsIndexKey(jobId)), path.join(objects, resultsIndexKey(missId)));
  await insertCompleted(stack, missId, resultsKey(jobId), 7);

  const lastFrom = file.frames - resultsLimit;
  const middle = Math.floor(file.frames / 2);
  const cases: (Case & { from: number; count: number })[] = [
    { name: 'first page', from: 0, count: resultsLimit },
    { name: 'middle page', from: middle, count: resultsLimit },
    { name: 'last page', from: lastFrom, count: resultsLimit },
    { name: 'last page, index guess missed', from: lastFrom, count: resultsLimit },
  ].map((c, i) => ({
    ...c,
    path: `/video/results/${i === 3 ? missId : jobId}?from_frame=${c.from}&limit=${resultsLimit}`,
  }));
  for (const c of cases) {
    const r = await timedGet(`${stack.baseUrl}${c.path}`);
    const frames = (JSON.parse(r.body) as { results: { frame_index: number }[] }).results;
    if (r.status !== 200 || frames.length !== c.count || frames[0].frame_index !== c.from) {
      throw new Error(`${c.name}: answered ${r.status} with ${frames.length} frames from ${frames[0]?.frame_index}`);
    }
  }
  for (const c of cases) await timeRepeated(`${stack.baseUrl}${c.path}`, 5); // warm-up
  const times = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
      times.set(c.name, [...(times.get(c.name) ?? []), ...(await timeRepeated(`${stack.baseUrl}${c.path}`, requests))]);
    }
  }
  const first = median(times.get('first page') ?? []);
  console.log(
    `\nresults: ${file.bytes} byte results file, ${file.frames} frames; pages of ${resultsLimit} frames, ${rounds} rounds x ${requests} requests`,
  );
  console.log(
    table([
      ['case', 'from_frame', 'p50 ms', 'p90 ms', 'p50 / first page'],
      ...cases.map((c) => {
        const t = times.get(c.name) ?? [];
        return [c.name, c.from, fixed(median(t), 2), fixed(percentile(t, 90), 2), fixed(median(t) / first, 2)];
      }),
    ]),
  );
  const last = median(times.get('last page') ?? []) / first;
  const missed = median(times.get('last page, index guess missed') ?? []) / first;
  verdicts.push(
    verdict(
      last <= 1.5,
      `results: last page ${fixed(last, 2)}x the first of a ${fixed(file.bytes / 1e6, 0)} MB file (target <= 1.50x); with the index guess missed ${fixed(missed, 2)}x`,
    ),
  );
}

async function main() {
  console.log(`bench:paging  cores: ${os.cpus().length}  load average before: ${load()}`);
  const verdicts: string[] = [];
  if (only.includes('listing')) await listingBench(verdicts);
  if (only.includes('results')) await resultsBench(verdicts);
  closeTimedGetAgent();
  console.log(`\nload average after: ${load()}`);
  console.log(verdicts.join('\n'));
  return 0;
}

runScript(main, { maxSeconds: numberArg('max-seconds', 1500) });
