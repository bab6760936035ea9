// `pnpm test:smoke`. Smoke test of the embedded default: start `node apps/api` on a free port with a fresh DATA_DIR,
// submit a real sample video with the `yolo` pipeline, poll to completion, check the results, stop.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './lib/stack';

const root = path.resolve(__dirname, '..');
const sample = path.resolve(root, '..', 'shared', 'samples', 'chickens.mp4');
const deadline = Date.now() + 180_000;

async function waitReady(base: string): Promise<void> {
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the API did not become ready');
}

async function main() {
  if (!fs.existsSync(sample)) throw new Error(`sample video not found at ${sample}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'video-jobs-smoke-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Tests and CI may run with less than the 1 GiB default free; /readyz must still answer 200 there.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    MIN_FREE_BYTES: String(1024 * 1024),
  };
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'API_KEYS', 'STORAGE']) delete env[k];
  const api = spawn(process.execPath, [path.join(root, 'apps', 'api')], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    api.on('exit', (code, signal) => resolve({ code, signal })),
  );
  try {
    await waitReady(base);
    const form = new FormData();
    form.set('file', await fs.openAsBlob(sample, { type: 'video/mp4' }), 'chickens.mp4');
    form.set('pipeline_id', 'yolo');
    form.set('frame_stride', '15');
    form.set('max_frames', '10');
    const submitted = await fetch(`${base}/video/submit`, { method: 'POST', body: form });
    if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}: ${await submitted.text()}`);
    const { job_id } = (await submitted.json()) as { job_id: string };
    let status: { status?: string; error_message?: string } = {};
    while (Date.now() < deadline) {
      status = (await (await fetch(`${base}/video/status/${job_id}`)).json()) as typeof status;
      if (status.status === 'completed' || status.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (status.status !== 'completed')
      throw new Error(`job ended ${status.status}: ${status.error_message ?? 'timed out'}`);
    const body = (await (await fetch(`${base}/video/results/${job_id}`)).json()) as {
      results: { frame_index: number; result: { detections: { label: string }[] } }[];
    };
    const indexes = body.results.map((r) => r.frame_index);
    const expected = [0, 15, 30, 45, 60, 75, 90, 105, 120, 135];
    if (JSON.stringify(indexes) !== JSON.stringify(expected))
      throw new Error(`frame indexes ${indexes.join()} != ${expected.join()}`);
    const birds = body.results.flatMap((r) => r.result.detections).filter((d) => d.label === 'bird');
    if (birds.length === 0) throw new Error('no bird detected in chickens.mp4');
    console.log(
      `smoke test passed: job ${job_id} completed, ${birds.length} bird detections over ${indexes.length} frames`,
    );
  } finally {
    api.kill('SIGTERM');
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  // After the finally, so a failed check above is the error reported, not the exit code.
  const { code } = await exited;
  if (code !== 0) throw new Error(`the API exited with ${code} after SIGTERM`);
}

main().catch((err: Error) => {
  console.error(`smoke test FAILED: ${err.message}`);
  process.exit(1);
});
