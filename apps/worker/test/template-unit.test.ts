import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTempDir, makeTestVideo } from '../../../packages/pipeline/src/test-support';
import { startStack, type Stack } from '../../../tools/lib/stack';
import { applyEnvCommand, parseUnit, serviceStart } from './systemd-unit';

jest.setTimeout(180_000);

const root = path.resolve(__dirname, '..', '..', '..');
const templateUnit = parseUnit(fs.readFileSync(path.join(root, 'deploy', 'video-jobs-worker@.service'), 'utf8'));
const plainUnit = parseUnit(fs.readFileSync(path.join(root, 'deploy', 'video-jobs-worker.service'), 'utf8'));
const envExample = fs.readFileSync(path.join(root, 'deploy', 'worker.env.example'), 'utf8');
const hostname = os.hostname();

/** worker.env.example as an operator fills it in: the example's keys with this machine's values. */
function operatorEnvFile(values: Record<string, string>, extra = ''): string {
  const seen = new Set<string>();
  const lines = envExample.split('\n').map((line) => {
    const m = /^([A-Z0-9_]+)=/.exec(line);
    if (!m || !(m[1] in values)) return line;
    seen.add(m[1]);
    return `${m[1]}=${values[m[1]]}`;
  });
  for (const [k, v] of Object.entries(values)) if (!seen.has(k)) lines.push(`${k}=${v}`);
  return `${lines.join('\n')}\n${extra}`;
}

describe('deploy/video-jobs-worker@.service', () => {
  it('gives instances 1, 2, 3 their own METRICS_PORT and WORKER_ID, whatever the shared env file says', () => {
    // An env file that still carries the old single-worker METRICS_PORT line must not win.
    const file = operatorEnvFile({}, 'METRICS_PORT=9464\nWORKER_ID=from-the-file\n');
    const started = ['1', '2', '3'].map((instance) => {
      const start = serviceStart(templateUnit, { instance, hostname }, () => file);
      return applyEnvCommand(start.argv, start.environment);
    });
    expect(started.map((s) => s.environment.METRICS_PORT)).toEqual(['9461', '9462', '9463']);
    expect(started.map((s) => s.environment.WORKER_ID)).toEqual([`${hostname}-1`, `${hostname}-2`, `${hostname}-3`]);
    expect(started[0].argv).toEqual(['node', 'apps/worker']);
    expect(started[0].environment.NODE_ENV).toBe('production');
  });

  it('leaves METRICS_PORT and WORKER_ID out of worker.env.example, since every instance reads it', () => {
    expect(envExample).not.toMatch(/^\s*(METRICS_PORT|WORKER_ID)=/m);
  });

  it('differs from the plain unit only in what makes instances distinct', () => {
    const settings = (u: typeof plainUnit) =>
      Object.fromEntries(
        Object.entries(u.sections).map(([name, kv]) => [
          name,
          kv.filter(([k]) => k !== 'ExecStart' && k !== 'Description'),
        ]),
      );
    expect(settings(templateUnit)).toEqual(settings(plainUnit));
  });
});

describe('three workers started as the template unit starts them', () => {
  let stack: Stack;
  let tmp: { dir: string; remove: () => Promise<void> };
  const workers: Array<{ instance: string; port: number; proc: ChildProcess; output: string[] }> = [];

  beforeAll(async () => {
    tmp = await makeTempDir();
    stack = await startStack({ storage: 's3' });
    await stack.startApi();
  });
  afterAll(async () => {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.proc.exitCode !== null || w.proc.signalCode !== null) return resolve();
            w.proc.once('exit', () => resolve());
            w.proc.kill('SIGTERM');
          }),
      ),
    );
    await stack?.stop();
    await tmp?.remove();
  });

  /** Starts instance N: the env file, the unit's Environment= and its ExecStart run as written. */
  function startInstance(instance: string, envFile: string) {
    const start = serviceStart(templateUnit, { instance, hostname }, (file) => {
      expect(file).toBe('/etc/video-jobs/worker.env');
      return envFile;
    });
    // systemd's own environment (PATH among it); WorkingDirectory is the release directory, here the repo.
    const proc = spawn(start.argv[0], start.argv.slice(1), {
      cwd: root,
      env: { PATH: process.env.PATH, ...start.environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    proc.stdout.on('data', (b: Buffer) => output.push(...b.toString().split('\n').filter(Boolean)));
    proc.stderr.on('data', (b: Buffer) => output.push(...b.toString().split('\n').filter(Boolean)));
    const worker = { instance, port: Number(`946${instance}`), proc, output };
    workers.push(worker);
    return worker;
  }

  async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) {
    const until = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('all stay up, each answers on its own port, and jobs are spread over them and completed once each', async () => {
    const envFile = operatorEnvFile({
      ...stack.env,
      MODEL_PATH: path.join(root, 'models', 'yolox_nano.onnx'),
      DATA_DIR: path.join(tmp.dir, 'data'),
      LOG_LEVEL: 'info',
    });
    for (const instance of ['1', '2', '3']) startInstance(instance, envFile);
    for (const w of workers) {
      await waitFor(() => {
        if (w.proc.exitCode !== null) throw new Error(`instance ${w.instance} exited:\n${w.output.join('\n')}`);
        return w.output.some((l) => l.includes('worker started'));
      }, `instance ${w.instance} to start`);
    }
    // Let each worker reach its BRPOP, so the first jobs go one to each.
    await new Promise((r) => setTimeout(r, 500));

    const video = await makeTestVideo({ path: path.join(tmp.dir, 'clip.mp4'), frames: 8, width: 160, height: 120 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await stack.submit(video, { pipeline_id: 'yolo' }));
    const rows = await stack.waitForFinal(ids, 120_000);

    expect(rows.map((r) => [r.status, r.attempts])).toEqual(ids.map(() => ['completed', 1]));
    const byWorker = new Map<string | null, number>();
    for (const r of rows) byWorker.set(r.locked_by, (byWorker.get(r.locked_by) ?? 0) + 1);
    expect([...byWorker.keys()].sort()).toEqual([`${hostname}-1`, `${hostname}-2`, `${hostname}-3`]);

    for (const w of workers) {
      expect(w.proc.exitCode).toBeNull();
      const health = await fetch(`http://127.0.0.1:${w.port}/healthz`);
      expect(health.status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${w.port}/metrics`)).text();
      const done = /^video_jobs_finished_total\{status="completed",pipeline="yolo"\} (\d+)$/m.exec(metrics);
      expect(Number(done?.[1])).toBe(byWorker.get(`${hostname}-${w.instance}`));
      // Each job's completion is logged by exactly one worker, once.
      const completedHere = w.output.filter((l) => l.includes('job completed')).length;
      expect(completedHere).toBe(byWorker.get(`${hostname}-${w.instance}`));
    }
    expect(workers.map((w) => w.port)).toEqual([9461, 9462, 9463]);
  });

  it('a second worker on a port in use stops at once with one line naming METRICS_PORT', async () => {
    const envFile = operatorEnvFile({
      ...stack.env,
      MODEL_PATH: path.join(root, 'models', 'yolox_nano.onnx'),
      DATA_DIR: path.join(tmp.dir, 'data'),
    });
    const again = startInstance('1', envFile);
    const code = await new Promise<number | null>((resolve) => again.proc.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    // The failure is one line, the last; the AWS SDK's Node 20 notice may come before it.
    const failure = again.output.filter((l) => l.startsWith('video-jobs worker failed'));
    expect(failure).toEqual([
      'video-jobs worker failed to start: metrics port 9461 is already in use (another worker on this machine?): set METRICS_PORT to a free port, one per worker',
    ]);
    expect(again.output.at(-1)).toBe(failure[0]);
  });
});
