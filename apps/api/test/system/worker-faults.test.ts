import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTempDir, makeTestVideo } from '../../../../packages/pipeline/src/test-support';
import { startStack, waitUntil, freePort, root, type Stack, type StackProcess } from '../../../../tools/lib/stack';

jest.setTimeout(240_000);

/** Short lease and timers so a lost worker is noticed in seconds, not minutes. */
const FAST_LIFECYCLE = { HEARTBEAT_MS: '300', LEASE_MS: '2000', REAP_INTERVAL_MS: '300', REQUEUE_MS: '1000' };

let tmp: { dir: string; remove: () => Promise<void> };
let longVideo: string;
let shortVideo: string;

beforeAll(async () => {
  tmp = await makeTempDir();
  // Long enough (OCR on 90 frames) that a worker can be killed while it is running.
  longVideo = await makeTestVideo({
    path: path.join(tmp.dir, 'long.mp4'),
    frames: 90,
    width: 320,
    height: 240,
    text: (i) => `LANE ${i}`,
  });
  shortVideo = await makeTestVideo({ path: path.join(tmp.dir, 'short.mp4'), frames: 5, width: 160, height: 120 });
});
afterAll(async () => tmp?.remove());

/** The stack with two workers and a long job running on one of them, which is returned. */
async function longJobOnOneOfTwoWorkers(stack: Stack): Promise<{ jobId: string; owner: string; victim: StackProcess }> {
  await stack.startApi();
  await Promise.all([stack.startWorker(), stack.startWorker()]);
  const jobId = await stack.submit(longVideo, { pipeline_id: 'yolo_ocr' });
  let owner = '';
  await waitUntil(async () => {
    const row = await stack.job(jobId);
    owner = row?.status === 'running' ? (row.locked_by ?? '') : '';
    return owner !== '';
  }, 60_000);
  const victim = stack.workers.find((w) => w.id === owner);
  if (!victim) throw new Error(`no worker process named ${owner}`);
  return { jobId, owner, victim };
}

describe('worker faults on the split stack', () => {
  it('reaps the job of a SIGKILLed worker and completes it on the other: attempts 2, one results file', async () => {
    const stack = await startStack({ storage: 's3', env: FAST_LIFECYCLE });
    try {
      const { jobId, owner, victim } = await longJobOnOneOfTwoWorkers(stack);
      expect((await stack.stopProcess(victim, 'SIGKILL')).signal).toBe('SIGKILL');

      const [row] = await stack.waitForFinal([jobId], 180_000);
      expect(row).toMatchObject({ status: 'completed', attempts: 2 });
      expect(row.locked_by).not.toBe(owner);
      expect(stack.listObjects().filter((k: string) => k.includes(jobId) && k.endsWith('_results.json'))).toHaveLength(
        1,
      );
      expect((await stack.results(jobId)).results).toHaveLength(90);
    } finally {
      await stack.stop();
    }
  });

  it('lets a SIGTERMed worker release its running job and exit 0; the job still completes', async () => {
    const stack = await startStack({ storage: 'local', env: { ...FAST_LIFECYCLE, SHUTDOWN_GRACE_MS: '200' } });
    try {
      const { jobId, owner, victim } = await longJobOnOneOfTwoWorkers(stack);
      expect(await stack.stopProcess(victim, 'SIGTERM')).toEqual({ code: 0, signal: null });
      expect(victim.lines.join('\n')).toMatch(/job released at shutdown|job completed/);

      const [row] = await stack.waitForFinal([jobId], 180_000);
      expect(row.status).toBe('completed');
      expect(row.locked_by).not.toBe(owner);
    } finally {
      await stack.stop();
    }
  });

  it('completes jobs whose queue entries Redis lost (FLUSHDB after submit)', async () => {
    // A Redis database of its own, so flushing it cannot touch other tests' keys.
    const redisDb = 9;
    const redisUrl = `${(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/${redisDb}`;
    const stack = await startStack({ storage: 'local', env: { ...FAST_LIFECYCLE, REDIS_URL: redisUrl } });
    try {
      await stack.startApi();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await stack.submit(shortVideo, { pipeline_id: 'yolo' }));
      const url = new URL(redisUrl);
      execFileSync('redis-cli', ['-h', url.hostname, '-p', url.port || '6379', '-n', String(redisDb), 'FLUSHDB']);
      await stack.startWorker();
      const rows = await stack.waitForFinal(ids, 60_000);
      expect(rows.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
    } finally {
      await stack.stop();
    }
  });

  it('completes pending jobs after the embedded service is killed and started again', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'video-jobs-embedded-'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // Tests and CI may run with less than the 1 GiB default free; /readyz must still answer 200 there.
      MIN_FREE_BYTES: String(1024 * 1024),
    };
    const start = () => {
      const proc = spawn(process.execPath, [path.join(root, 'apps', 'api')], { cwd: root, env, stdio: 'ignore' });
      const exited = new Promise((resolve) => proc.on('exit', resolve));
      return { proc, exited };
    };
    let api = start();
    try {
      await waitUntil(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.ok, 60_000);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const form = new FormData();
        form.set('file', await (await import('node:fs')).openAsBlob(longVideo), 'long.mp4');
        form.set('pipeline_id', 'yolo');
        ids.push(
          ((await (await fetch(`${base}/video/submit`, { method: 'POST', body: form })).json()) as { job_id: string })
            .job_id,
        );
      }
      api.proc.kill('SIGKILL');
      await api.exited;

      api = start();
      await waitUntil(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.ok, 60_000);
      await waitUntil(async () => {
        const statuses = await Promise.all(
          ids.map(
            async (id) => ((await (await fetch(`${base}/video/status/${id}`)).json()) as { status: string }).status,
          ),
        );
        return statuses.every((s) => s === 'completed');
      }, 120_000);
    } finally {
      api.proc.kill('SIGTERM');
      await api.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
