/**
 * `pnpm bench:memory`: resident memory (VmRSS from /proc, sampled every 50 ms) of the split stack's
 * processes (Postgres, Redis, local storage) in three situations:
 *   upload   API RSS while a --upload-gb (2) GB MP4 streams into POST /video/submit; baseline in
 *            the same run: a bare express+multer disk app taking the same upload. Target < 200 MB.
 *   worker   worker RSS while it runs a 10 s and a --long-seconds (300) generated 720p 30 fps video
 *            (`yolo`, every --stride-th frame, default 10, so the 5-minute run takes about a minute
 *            here; `--stride 1` analyses every frame). Target: the long peak within 20% of the short.
 *   results  API RSS while it serves a --results-mb (200) MB results file, to a client that reads
 *            at full speed and to one that stalls 3 s first. Target: flat (peak within 20% of idle).
 * Options: --only upload,worker,results  --max-seconds 1200. The first run encodes the videos
 * (about 2 minutes for the long one) into .tmp/bench-videos.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startStack, sleep, type Stack } from '../lib/stack';
import { arg, numberArg } from './lib/args';
import { streamUpload } from './lib/big-upload';
import { onCleanup, runScript } from './lib/cleanup';
import { startChildApp } from './lib/child-app';
import { eventHub } from './lib/process-events';
import { rssMb, sampleRss, type RssSummary } from './lib/rss';
import { fixed, table, verdict, type Cell } from './lib/stats';
import { testVideo } from './lib/videos';

const only = arg('only', 'upload,worker,results').split(',');
const uploadBytes = Math.round(numberArg('upload-gb', 2) * 1e9);
const longSeconds = numberArg('long-seconds', 300);
const stride = numberArg('stride', 10);
const resultsBytes = Math.round(numberArg('results-mb', 200) * 1e6);
const mb = (v: number | undefined) => fixed(v ?? NaN, 0);

/** Peak RSS of `pid` while `fn` runs, and its RSS just before. */
async function during<T>(
  pid: number | undefined,
  fn: () => Promise<T>,
): Promise<RssSummary & { before: number | undefined; value: T }> {
  const before = rssMb(pid);
  const sampler = sampleRss(pid, 50);
  try {
    const value = await fn();
    return { before, ...sampler.stop(), value };
  } finally {
    sampler.stop();
  }
}

async function uploadCase(stack: Stack, verdicts: string[]): Promise<void> {
  const clip = await testVideo({ seconds: 2, width: 640, height: 360 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bare-upload-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bare = await startChildApp(path.join(__dirname, 'lib', 'bare-upload-app.ts'), [dir]);
  const rows: Cell[][] = [['server', 'status', 'seconds', 'MB/s', 'RSS before MB', 'RSS peak MB']];
  const runs: Record<string, Awaited<ReturnType<typeof during<{ status: number; seconds: number }>>>> = {};
  const servers: [string, { baseUrl: string; pid: number | undefined }][] = [
    ['bare express+multer', bare],
    ['video-jobs API', { baseUrl: stack.baseUrl, pid: stack.api?.proc.pid }],
  ];
  for (const [name, server] of servers) {
    const r = await during(server.pid, () =>
      streamUpload(`${server.baseUrl}/video/submit`, clip, uploadBytes, { pipeline_id: 'yolo' }),
    );
    runs[name] = r;
    rows.push([
      name,
      r.value.status,
      fixed(r.value.seconds),
      fixed(uploadBytes / 1e6 / r.value.seconds, 0),
      mb(r.before),
      mb(r.peak),
    ]);
    // Free the disk at once: 2 GB each.
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(path.join(stack.env.DATA_DIR, 'objects', 'video_jobs'), { recursive: true, force: true });
  }
  console.log(`\nupload: one ${uploadBytes} byte MP4 streamed as multipart`);
  console.log(table(rows));
  const api = runs['video-jobs API'];
  verdicts.push(
    verdict(
      api.value.status === 202 && api.peak < 200,
      `upload: API RSS peak ${mb(api.peak)} MB during a ${fixed(uploadBytes / 1e9, 1)} GB upload (target < 200 MB; bare app ${mb(runs['bare express+multer'].peak)} MB, ratio ${fixed(api.peak / runs['bare express+multer'].peak, 2)}; answered ${api.value.status})`,
    ),
  );
}

async function workerCase(stack: Stack, verdicts: string[]): Promise<void> {
  const shortVideo = await testVideo({ seconds: 10, width: 1280, height: 720 });
  console.log(`  encoding/using the ${longSeconds} s 720p video (cached after the first run)...`);
  const longVideo = await testVideo({ seconds: longSeconds, width: 1280, height: 720 });
  const worker = await stack.startWorker();
  const log = eventHub(worker);
  onCleanup(log.close);
  await sleep(1000);
  const idle = rssMb(worker.proc.pid);
  const rows: Cell[][] = [['video', 'MB', 'frames analysed', 'job s', 'RSS before MB', 'RSS peak MB', 'RSS mean MB']];
  const peaks: Record<string, number> = {};
  const videos: [string, string][] = [
    ['10 s', shortVideo],
    [`${longSeconds} s`, longVideo],
  ];
  for (const [name, file] of videos) {
    const since = log.events.length;
    const jobId = await stack.submit(file, { pipeline_id: 'yolo', frame_stride: stride });
    await log.next((e) => e.job_id === jobId && e.message === 'job claimed', 60_000, 'claim', since);
    const r = await during(worker.proc.pid, () =>
      log.next((e) => e.job_id === jobId && /^job (completed|failed)$/.test(e.message), 60 * 60_000, 'job end', since),
    );
    if (r.value.message !== 'job completed') throw new Error(`the ${name} job failed: ${JSON.stringify(r.value)}`);
    const frames = (await stack.results(jobId)).results.length;
    peaks[name] = r.peak;
    rows.push([
      `${name} 1280x720 30 fps`,
      fixed(fs.statSync(file).size / 1e6, 0),
      frames,
      fixed(Number(r.value.duration_ms) / 1000),
      mb(r.before),
      mb(r.peak),
      mb(r.mean),
    ]);
  }
  console.log(`\nworker: yolo, frame_stride ${stride}; RSS idle after start ${mb(idle)} MB`);
  console.log(table(rows));
  const ratio = peaks[`${longSeconds} s`] / peaks['10 s'];
  verdicts.push(
    verdict(
      ratio <= 1.2,
      `worker: peak RSS ${mb(peaks[`${longSeconds} s`])} MB on ${longSeconds} s vs ${mb(peaks['10 s'])} MB on 10 s = ${fixed(ratio, 2)}x (target <= 1.20x)`,
    ),
  );
  await stack.stopProcess(worker, 'SIGTERM');
}

/** Writes a results array of about `bytes` straight into local storage, with back-pressure. */
async function writeResults(file: string, bytes: number): Promise<{ frames: number; bytes: number }> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const out = fs.createWriteStream(file);
  let written = 0;
  let i = 0;
  const write = (s: string): Promise<void> | undefined => {
    written += s.length;
    return out.write(s) ? undefined : new Promise<void>((r) => out.once('drain', () => r()));
  };
  await write('[');
  while (written < bytes) {
    const detections = Array.from({ length: 4 }, (_, k) => ({
      label: 'person',
      class_id: 0,
      confidence: 0.9132,
      box: [10.5 + k, 20.5, 300.5, 400.5],
    }));
    const entry = JSON.stringify({ frame_index: i, result: { timestamp_ms: Math.round(i * 33.3), detections } });
    await write(i === 0 ? entry : `,${entry}`);
    i++;
  }
  await write(']');
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { frames: i, bytes: fs.statSync(file).size };
}

function download(url: string, stallMs: number): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
        if (stallMs > 0) {
          res.pause();
          setTimeout(() => res.resume(), stallMs);
        }
      })
      .on('error', reject);
  });
}

async function resultsCase(stack: Stack, verdicts: string[]): Promise<void> {
  const jobId = randomUUID();
  const key = `video_jobs/${jobId}_results.json`;
  const file = await writeResults(path.join(stack.env.DATA_DIR, 'objects', key), resultsBytes);
  await stack.pool.query(
    `INSERT INTO jobs (job_id, status, created_at, updated_at, input_path, output_path, pipeline_id, frame_stride, attempts)
     VALUES ($1, 'completed', now(), now(), $2, $3, 'yolo', 1, 1)`,
    [jobId, `video_jobs/${jobId}.mp4`, key],
  );
  const pid = stack.api?.proc.pid;
  await sleep(500);
  const idle = rssMb(pid) ?? NaN;
  const rows: Cell[][] = [['client', 'status', 'bytes', 'RSS before MB', 'RSS peak MB', 'peak / idle']];
  let worst = 0;
  const clients: [string, number][] = [
    ['reads at full speed', 0],
    ['stalls 3 s, then reads', 3000],
  ];
  for (const [name, stall] of clients) {
    const r = await during(pid, () => download(`${stack.baseUrl}/video/results/${jobId}`, stall));
    worst = Math.max(worst, r.peak / idle);
    rows.push([name, r.value.status, r.value.bytes, mb(r.before), mb(r.peak), fixed(r.peak / idle, 2)]);
  }
  console.log(
    `\nresults: GET /video/results of a ${file.bytes} byte results file (${file.frames} frames); API RSS idle ${mb(idle)} MB`,
  );
  console.log(table(rows));
  verdicts.push(
    verdict(
      worst <= 1.2,
      `results: API RSS peak ${fixed(worst, 2)}x its idle ${mb(idle)} MB while serving ${fixed(file.bytes / 1e6, 0)} MB (target: flat, <= 1.20x)`,
    ),
  );
}

async function main() {
  console.log(
    `bench:memory  load average before: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const stack = await startStack({ storage: 'local', env: { WORKER_CONCURRENCY: '1' } });
  onCleanup(() => stack.stop());
  await stack.startApi();
  const verdicts: string[] = [];
  if (only.includes('upload')) await uploadCase(stack, verdicts);
  if (only.includes('results')) await resultsCase(stack, verdicts);
  if (only.includes('worker')) await workerCase(stack, verdicts);
  console.log(
    `\nload average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(verdicts.join('\n'));
  return 0;
}

runScript(main, { maxSeconds: numberArg('max-seconds', 1200) });
