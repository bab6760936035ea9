/**
 * `pnpm test:compose` (issue 19): the compose stack built from the project's own docker-compose.yml
 * and Dockerfiles and run for real, as a user would run it. A Docker engine is started when none runs
 * (docker.io installed from Debian when missing); the registry images are replaced by local stand-ins
 * made from Debian packages and npm only (lib/stand-ins.ts, wired in by compose.stand-ins.yml).
 * Checks, in order, against one stack (project `video-jobs-compose-test`, its volumes deleted at the end):
 *   build      both images build with no registry; all services healthy; /readyz answers
 *   closed     the API is published on the host loopback only (API_KEYS unset), API_BIND opens it
 *   job        a yolo_ocr job on the traffic camera sample: cars found, date and time read
 *   scale      --scale worker=3: six jobs spread over at least two workers; each worker's /metrics
 *   kill       a worker SIGKILLed mid-job and started again: the job completes exactly once
 *   restart    `down` + `up` keeps jobs and results (byte-identical)
 *   hygiene    api and workers run as non-root; no ONNX Runtime telemetry warning in their logs
 * Prints `compose: N passed, N failed`. Options: --json FILE ({"passed","failed","checks","figures"}),
 * --max-seconds 1700, --keep (leave the stack up), --samples DIR (default ../shared/samples).
 * Where no engine can be had it says so in one line and fails.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { VideoJobsClient, type JobResults } from '@video-jobs/client';
import { arg, flag, numberArg } from '../bench/lib/args';
import { onCleanup, runScript } from '../bench/lib/cleanup';
import { Checks } from '../faults/checks';
import { ComposeStack } from './lib/compose-stack';
import { EngineUnavailableError, ensureComposePlugins, ensureDockerEngine } from './lib/docker-engine';
import { run, sleep } from './lib/run';
import { buildStandIns } from './lib/stand-ins';

const ROOT = path.join(__dirname, '..', '..');
const WORK_DIR = path.join(ROOT, '.tmp', 'compose-test');
const PROJECT = 'video-jobs-compose-test';
const SAMPLES = arg('samples', path.join(ROOT, '..', 'shared', 'samples'));
const SAMPLE = path.join(SAMPLES, 'traffic_cam_timestamp.mp4');
const HEALTHY_WITHIN_MS = 240_000;
const JOB_WITHIN_MS = 420_000;

const log = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => Math.round(ms / 100) / 10;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface LogEvent {
  message?: string;
  job_id?: string;
  worker?: string;
  level?: string;
}

function events(lines: string[]): LogEvent[] {
  return lines.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogEvent];
    } catch {
      return []; // a line cut by SIGKILL
    }
  });
}

async function main(): Promise<number> {
  const checks = new Checks();
  const check = (name: string, ok: unknown, detail = '') => checks.check('compose', name, ok, detail);
  const figures: Record<string, number | string> = {};
  const jsonFile = arg('json');
  const finish = () => {
    log(`\ncompose: ${checks.passed} passed, ${checks.failed} failed`);
    if (jsonFile) {
      fs.writeFileSync(
        jsonFile,
        JSON.stringify({ passed: checks.passed, failed: checks.failed, checks: checks.list, figures }, null, 2),
      );
    }
    return checks.failed === 0 ? 0 : 1;
  };
  fs.mkdirSync(WORK_DIR, { recursive: true });

  // 1. The engine, Compose v2 and the stand-ins.
  try {
    const engine = await ensureDockerEngine(WORK_DIR, log);
    if (engine.started) onCleanup(() => engine.stop());
    figures.engine = engine.version;
  } catch (err) {
    if (!(err instanceof EngineUnavailableError)) throw err;
    log(`compose: no Docker engine could be had here: ${err.message}`);
    check('a Docker engine answers', false, err.message);
    return finish();
  }
  figures.compose = await ensureComposePlugins(WORK_DIR, log);
  log(`engine ${figures.engine}, compose ${figures.compose}`);
  let t = Date.now();
  await buildStandIns(WORK_DIR, log);
  figures.standInsSeconds = seconds(Date.now() - t);

  const apiPort = await freePort();
  const stack = new ComposeStack({
    root: ROOT,
    project: PROJECT,
    overrides: [path.join('tools', 'deploy', 'compose.stand-ins.yml')],
    variables: { API_PORT: String(apiPort), MINIO_CONSOLE_PORT: String(await freePort()) },
    workDir: WORK_DIR,
  });
  if (!flag('keep')) onCleanup(() => stack.run(['down', '--volumes', '--remove-orphans'], { timeoutMs: 180_000 }));
  await stack.run(['down', '--volumes', '--remove-orphans'], { timeoutMs: 180_000 }); // a previous run's leftovers

  // 2. Build and start, as the deployment guide says.
  t = Date.now();
  const build = await stack.run(['build'], { timeoutMs: 1_500_000, logFile: path.join(WORK_DIR, 'build.log') });
  figures.buildSeconds = seconds(Date.now() - t);
  if (
    !check(
      'api and worker images build from the Dockerfiles with no registry',
      build.code === 0,
      `${figures.buildSeconds} s`,
    )
  ) {
    log(build.stderr.split('\n').slice(-20).join('\n'));
    return finish();
  }
  for (const image of ['video-jobs-api:local', 'video-jobs-worker:local']) {
    const size = await run('docker', ['image', 'inspect', '--format', '{{.Size}}', image]);
    figures[`${image} MB`] = Math.round(Number(size.stdout.trim()) / 1e6);
  }
  t = Date.now();
  // `up` itself fails when a dependency does (the bucket job, a health check): waitHealthy says which.
  await stack.run(['up', '--detach'], { timeoutMs: 300_000 });
  try {
    await stack.waitHealthy({ postgres: 1, redis: 1, minio: 1, api: 1, worker: 1 }, HEALTHY_WITHIN_MS);
    figures.upToHealthySeconds = seconds(Date.now() - t);
    check('every service healthy, the bucket made', true, `${figures.upToHealthySeconds} s from up`);
  } catch (err) {
    check('every service healthy, the bucket made', false, (err as Error).message);
    log((await stack.run(['logs', '--tail', '30'])).stdout);
    return finish();
  }

  const base = `http://127.0.0.1:${apiPort}`;
  const ready = await fetch(`${base}/readyz`).then(async (r) => ({ status: r.status, body: await r.text() }));
  check('/readyz answers 200 through the published port', ready.status === 200, ready.body.slice(0, 200));

  // 3. Closed by default.
  const [api] = await stack.containersOf('api');
  const bindings = await run('docker', ['inspect', '--format', '{{json .HostConfig.PortBindings}}', api.ID]);
  const hostIps = Object.values(JSON.parse(bindings.stdout) as Record<string, { HostIp: string }[]>)
    .flat()
    .map((b) => b.HostIp);
  check(
    'with API_KEYS unset the API is published on the host loopback only',
    hostIps.length > 0 && hostIps.every((ip) => ip === '127.0.0.1'),
    `host addresses: ${hostIps.join(', ')}`,
  );
  const opened = await stack.run(['config', '--format', 'json'], { variables: { API_BIND: '0.0.0.0' } });
  const openedPorts = (JSON.parse(opened.stdout) as { services: Record<string, { ports?: { host_ip?: string }[] }> })
    .services.api.ports;
  check(
    'API_BIND=0.0.0.0 is the explicit opt-in that publishes it to the network',
    openedPorts?.[0]?.host_ip === '0.0.0.0',
  );

  // 4. A real job through the real stack.
  const client = new VideoJobsClient({ baseUrl: base });
  const { job_id: sampleJob } = await client.submit(SAMPLE, { pipelineId: 'yolo_ocr', frameStride: 25, maxFrames: 4 });
  const status = await client.waitFor(sampleJob, { timeoutMs: JOB_WITHIN_MS });
  let results: JobResults | undefined;
  if (
    check(
      'a yolo_ocr job on the traffic camera completes',
      status.status === 'completed',
      status.error_message ?? status.status,
    )
  ) {
    results = await client.results(sampleJob);
    const labels = new Set(results.results.flatMap((f) => (f.result.detections ?? []).map((d) => d.label)));
    const text = results.results.flatMap((f) => (f.result.text ?? []).map((l) => l.text)).join(' | ');
    check('its detections include cars', labels.has('car'), [...labels].join(', '));
    check(
      'its text has the clock overlay: the date and a time',
      /2012/.test(text) && /\d{2}:\d{2}:\d{2}/.test(text),
      text.slice(0, 160),
    );
  }

  // 5. Three workers.
  await stack.mustRun(['up', '--detach', '--scale', 'worker=3', '--no-recreate'], { timeoutMs: 300_000 });
  await stack.waitHealthy({ postgres: 1, redis: 1, minio: 1, api: 1, worker: 3 }, HEALTHY_WITHIN_MS);
  const spread: string[] = [];
  for (let i = 0; i < 6; i++) {
    spread.push((await client.submit(SAMPLE, { pipelineId: 'yolo', frameStride: 25, maxFrames: 6 })).job_id);
  }
  const spreadStatus = await Promise.all(spread.map((id) => client.waitFor(id, { timeoutMs: JOB_WITHIN_MS })));
  const workerEvents = events(await stack.logLines('worker'));
  const ranOn = new Set(
    workerEvents
      .filter((e) => e.message === 'job completed' && e.job_id && spread.includes(e.job_id))
      .map((e) => e.worker),
  );
  check(
    'six jobs on three workers all complete',
    spreadStatus.every((s) => s.status === 'completed'),
  );
  check('they are spread over at least two workers', ranOn.size >= 2, `${ranOn.size} workers`);
  const workers = await stack.containersOf('worker');
  for (const [i, w] of workers.entries()) {
    const metrics = await stack.exec(w.ID, [
      'node',
      '-e',
      "fetch('http://127.0.0.1:9464/metrics').then(async (r) => { console.log(r.status); console.log(await r.text()); })",
    ]);
    check(
      `worker ${i + 1}'s /metrics answers`,
      /^200\n/.test(metrics.stdout) && /video_jobs_/.test(metrics.stdout),
      w.Name,
    );
  }

  // 6. SIGKILL a worker mid-job; start it again.
  const { job_id: killedJob } = await client.submit(SAMPLE, { pipelineId: 'yolo', frameStride: 2, maxFrames: 120 });
  let lockedBy = '';
  for (let i = 0; i < 120 && !lockedBy; i++) {
    const [row] = await stack.sql(`SELECT status, coalesce(locked_by, '') FROM jobs WHERE job_id = '${killedJob}'`);
    if (row?.[0] === 'running' && row[1]) lockedBy = row[1];
    else await sleep(1_000);
  }
  const victim = workers.find((w) => lockedBy.startsWith(w.ID.slice(0, 12)));
  if (check('the long job is running on a worker', victim, lockedBy || 'never claimed') && victim) {
    await run('docker', ['kill', '--signal', 'KILL', victim.ID]);
    await sleep(2_000);
    await run('docker', ['start', victim.ID]);
    const final = await client.waitFor(killedJob, { timeoutMs: JOB_WITHIN_MS });
    const [row] = await stack.sql(`SELECT status, attempts FROM jobs WHERE job_id = '${killedJob}'`);
    const completions = events(await stack.logLines('worker')).filter(
      (e) => e.message === 'job completed' && e.job_id === killedJob,
    ).length;
    check(
      'the SIGKILLed job completes exactly once',
      final.status === 'completed' && completions === 1 && Number(row?.[1]) >= 2,
      `status ${final.status}, completions logged ${completions}, attempts ${row?.[1]}`,
    );
  }

  // 7. Hygiene, on every replica after their jobs (ONNX Runtime starts with the first one): non-root, clean logs.
  for (const c of [...(await stack.containersOf('api')), ...(await stack.containersOf('worker'))]) {
    const s = await stack.exec(c.ID, ['cat', '/proc/1/status']);
    const uid = /^Uid:\s+(\d+)/m.exec(s.stdout)?.[1];
    check(`${c.Service} runs as a non-root user`, uid !== undefined && uid !== '0', `${c.Name}: uid ${uid}`);
  }
  const allLines = [...(await stack.logLines('api')), ...(await stack.logLines('worker'))];
  const telemetry = allLines.filter((l) => /telemetry/i.test(l));
  check('no ONNX Runtime telemetry warning in the api and worker logs', telemetry.length === 0, telemetry[0] ?? '');

  // 8. down + up keeps jobs and results.
  const before = await fetch(`${base}/video/results/${sampleJob}`).then((r) => r.text());
  const jobsBefore = Number((await stack.sql('SELECT count(*) FROM jobs'))[0][0]);
  await stack.mustRun(['down'], { timeoutMs: 300_000 });
  t = Date.now();
  await stack.mustRun(['up', '--detach'], { timeoutMs: 300_000 });
  await stack.waitHealthy({ postgres: 1, redis: 1, minio: 1, api: 1, worker: 1 }, HEALTHY_WITHIN_MS);
  figures.restartToHealthySeconds = seconds(Date.now() - t);
  const after = await fetch(`${base}/video/results/${sampleJob}`).then((r) => r.text());
  const jobsAfter = Number((await stack.sql('SELECT count(*) FROM jobs'))[0][0]);
  check(
    'down + up keeps every job and the results byte-identical',
    results !== undefined && before === after && jobsAfter === jobsBefore && jobsBefore >= 8,
    `${jobsAfter}/${jobsBefore} jobs, results ${before === after ? 'identical' : 'differ'}`,
  );

  log(`\nfigures: ${JSON.stringify(figures)}`);
  return finish();
}

runScript(main, { maxSeconds: numberArg('max-seconds', 1700) });
