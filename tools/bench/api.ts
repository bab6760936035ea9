/**
 * `pnpm bench:api`: the API of the split stack (real Postgres and Redis, local storage, no worker)
 * under autocannon, against baselines measured in the same run:
 *   - submit: a 5 MiB MP4 by 16 concurrent clients vs a bare express+multer app writing the same
 *     upload to disk (target >= 0.7 of its requests/s). Rounds alternate baseline and API so drift
 *     in the machine's load hits both.
 *     A second baseline, bare express+multer that also fsyncs each file before answering, shows how
 *     much of the gap is the durability the API's local storage gives an acknowledged upload.
 *   - status: GET /video/status/:id by 100 concurrent clients polling at fixed total rates (100/s is
 *     each client polling once a second; lib/poller.ts, spread out like real clients) and flat out
 *     (autocannon); requests/s and p50/p99 per rate; target p99 < 20 ms.
 *     Flat out, 100 clients always waiting means latency = 100 / (requests/s), so there p99 < 20 ms
 *     would need over 5000 requests/s. Baseline: express + one pg SELECT per request.
 * Options: --rounds 2 --upload-requests 240 --connections 16 --status-connections 100
 *          --status-seconds 5 --status-rates 100,500,1000 --max-seconds 600
 * Needs `pnpm build`, Postgres (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL) on loopback.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack } from '../lib/stack';
import { arg, numberArg } from './lib/args';
import { onCleanup, runScript } from './lib/cleanup';
import { startChildApp } from './lib/child-app';
import { runLoad, multipartBody, type LoadResult } from './lib/load';
import { pollAtRate } from './lib/poller';
import type autocannon from 'autocannon';
import { fixed, table, verdict, type Cell } from './lib/stats';
import { paddedVideo } from './lib/videos';

const rounds = numberArg('rounds', 2);
const uploadRequests = numberArg('upload-requests', 240);
const connections = numberArg('connections', 16);
const statusConnections = numberArg('status-connections', 100);
const statusSeconds = numberArg('status-seconds', 5);
const statusRates = arg('status-rates', '100,500,1000').split(',').map(Number);
const FILE_BYTES = 5 * 1024 * 1024;

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function uploadRun(
  baseUrl: string,
  upload: { body: Buffer; contentType: string },
  amount: number,
): Promise<LoadResult> {
  return runLoad({
    url: `${baseUrl}/video/submit`,
    method: 'POST',
    headers: { 'content-type': upload.contentType },
    body: upload.body,
    connections,
    amount,
  });
}

/** One status run at `rate` requests/s in total (0: flat out), each request for a random id. */
function statusRun(baseUrl: string, ids: string[], rate: number): Promise<LoadResult> {
  if (rate > 0) {
    const paths = ids.map((id) => `/video/status/${id}`);
    return pollAtRate({ baseUrl, paths, clients: statusConnections, rate, seconds: statusSeconds });
  }
  const requests: autocannon.Request[] = [
    { setupRequest: (req) => ({ ...req, path: `/video/status/${ids[Math.floor(Math.random() * ids.length)]}` }) },
  ];
  return runLoad({
    url: baseUrl,
    connections: statusConnections,
    duration: statusSeconds,
    requests,
    maxOverallRequests: statusSeconds * 20_000,
  });
}

async function main() {
  console.log(`bench:api  load average before: ${load()}  cores: ${os.cpus().length}`);
  const video = await paddedVideo(FILE_BYTES);
  const upload = multipartBody(fs.readFileSync(video), { pipeline_id: 'yolo', max_frames: '1' });

  const stack = await startStack({ storage: 'local' });
  onCleanup(() => stack.stop());
  await stack.startApi();
  const bareDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-bare-upload-'));
  onCleanup(() => fs.rmSync(bareDir, { recursive: true, force: true }));
  const bare = await startChildApp(path.join(__dirname, 'lib', 'bare-upload-app.ts'), [bareDir]);
  const bareSync = await startChildApp(path.join(__dirname, 'lib', 'bare-upload-app.ts'), [bareDir], { FSYNC: '1' });
  const clearUploads = () => {
    // Bounded disk use: each round writes uploadRequests x 5 MiB per server.
    for (const dir of [bareDir, path.join(stack.env.DATA_DIR, 'objects', 'video_jobs')]) {
      if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { force: true });
    }
  };

  // Warm-up: JIT, connection pools, first file-system writes.
  const servers = [
    ['bare', 'bare express+multer', bare.baseUrl],
    ['bareSync', 'bare + fsync', bareSync.baseUrl],
    ['api', 'video-jobs API', stack.baseUrl],
  ];
  for (const [, , baseUrl] of servers) await uploadRun(baseUrl, upload, connections * 2);
  clearUploads();

  const submitRows: Cell[][] = [
    ['round', 'server', 'requests', '2xx', 'non-2xx', 'errors', 'req/s', 'MB/s', 'p50 ms', 'p99 ms'],
  ];
  const totals = Object.fromEntries(servers.map(([name]) => [name, { ok: 0, seconds: 0 }]));
  for (let round = 1; round <= rounds; round++) {
    for (const [name, label, baseUrl] of servers) {
      const r = await uploadRun(baseUrl, upload, uploadRequests);
      totals[name].ok += r.ok;
      totals[name].seconds += r.seconds;
      submitRows.push([
        round,
        label,
        r.requests,
        r.ok,
        r.non2xx,
        r.errors,
        fixed(r.rps),
        fixed((r.rps * upload.body.length) / 1e6),
        r.p50,
        r.p99,
      ]);
      clearUploads();
    }
  }
  const rps = (name: string) => totals[name].ok / totals[name].seconds;
  const submitRatio = rps('api') / rps('bare');

  const ids = (
    await stack.pool.query<{ job_id: string }>('SELECT job_id FROM jobs ORDER BY random() LIMIT 100')
  ).rows.map((r) => r.job_id);
  const bareStatus = await startChildApp(path.join(__dirname, 'lib', 'bare-status-app.ts'), [], {
    DATABASE_URL: stack.env.DATABASE_URL,
  });
  const statusRows: Cell[][] = [
    ['server', 'rate', 'requests', '2xx', 'non-2xx', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
  ];
  const status = { bare: new Map<number, LoadResult>(), api: new Map<number, LoadResult>() };
  const statusServers = [
    ['bare', 'bare express+pg', bareStatus.baseUrl],
    ['api', 'video-jobs API', stack.baseUrl],
  ] as const;
  for (const [name, label, baseUrl] of statusServers) {
    await runLoad({ url: `${baseUrl}/video/status/${ids[0]}`, connections: 10, amount: 500 }); // warm-up
    for (const rate of [...statusRates, 0]) {
      const r = await statusRun(baseUrl, ids, rate);
      status[name].set(rate, r);
      statusRows.push([
        label,
        rate ? `${rate}/s` : 'flat out',
        r.requests,
        r.ok,
        r.non2xx,
        fixed(r.rps),
        fixed(r.p50),
        fixed(r.p90),
        fixed(r.p99),
        fixed(r.max),
      ]);
    }
  }

  console.log(
    `\nsubmit: ${FILE_BYTES} byte MP4 (${upload.body.length} byte multipart body), ${connections} clients, ${uploadRequests} requests per run`,
  );
  console.log(table(submitRows));
  console.log(`\nstatus: ${statusConnections} clients, ${statusSeconds} s per run, ${ids.length} distinct job ids`);
  console.log(table(statusRows));
  console.log(`\nload average after: ${load()}`);
  console.log(
    verdict(
      submitRatio >= 0.7,
      `submit: ${fixed(rps('api'))} req/s vs bare ${fixed(rps('bare'))} req/s = ${fixed(submitRatio, 2)} of baseline (target >= 0.70); vs bare + fsync ${fixed(rps('bareSync'))} req/s = ${fixed(rps('api') / rps('bareSync'), 2)}`,
    ),
  );
  for (const [rate, r] of status.api) {
    const b = status.bare.get(rate) as LoadResult;
    console.log(
      verdict(
        r.p99 < 20,
        `status ${rate ? `at ${rate} req/s` : `flat out (${fixed(r.rps)} req/s, ${fixed(r.rps / b.rps, 2)} of bare)`}: p50 ${fixed(r.p50)} ms, p99 ${fixed(r.p99)} ms (target p99 < 20 ms; bare p99 ${fixed(b.p99)} ms)`,
      ),
    );
  }
  const failures = [...Object.values(status)]
    .flatMap((m) => [...m.values()])
    .reduce((n, r) => n + r.non2xx + r.errors, 0);
  return failures > 0 ? 1 : 0;
}

runScript(main, { maxSeconds: numberArg('max-seconds', 600) });
