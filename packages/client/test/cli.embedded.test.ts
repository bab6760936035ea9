import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeRandomFtypFile, makeTempDir, makeTestVideo } from '../../pipeline/src/test-support';
import { freePort, waitUntil, root } from '../../../tools/lib/stack';

jest.setTimeout(120_000);

const cli = path.join(root, 'packages', 'client', 'bin', 'video-jobs.js');
let tmp: { dir: string; remove: () => Promise<void> };
let api: ChildProcess;
let apiExited: Promise<unknown>;
let baseUrl: string;
let video: string;

/** Runs the built CLI as a user would, returning its exit code and output. */
function runCli(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const proc = spawn(process.execPath, [cli, ...args], {
      env: { PATH: process.env.PATH ?? '', VIDEO_JOBS_URL: baseUrl, VIDEO_JOBS_API_KEY: 'team-key', ...env },
      cwd: tmp.dir,
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  tmp = await makeTempDir();
  video = await makeTestVideo({ path: path.join(tmp.dir, 'clip.mp4'), frames: 12, width: 160, height: 120 });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  // The embedded default, as `pnpm start` runs it, with API keys on.
  api = spawn(process.execPath, [path.join(root, 'apps', 'api')], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      DATA_DIR: path.join(tmp.dir, 'data'),
      API_KEYS: 'team-key,other-key',
      LOG_LEVEL: 'warn',
      // Tests and CI may run with less than the 1 GiB default free; /readyz must still answer 200 there.
      MIN_FREE_BYTES: String(1024 * 1024),
    },
    stdio: 'ignore',
  });
  apiExited = new Promise((resolve) => api.on('exit', resolve));
  await waitUntil(async () => (await fetch(`${baseUrl}/readyz`).catch(() => undefined))?.ok, 60_000);
});

afterAll(async () => {
  api?.kill('SIGTERM');
  await apiExited;
  await tmp?.remove();
});

describe('video-jobs CLI against the embedded service', () => {
  let jobId: string;

  it('submits, waits and writes the results file, exiting 0', async () => {
    const out = path.join(tmp.dir, 'results.json');
    const r = await runCli(['submit', video, '--pipeline', 'yolo', '--stride', '5', '--wait', '--out', out]);
    expect(r.stderr).not.toMatch(/video-jobs: \d{3}/);
    expect(r.code).toBe(0);
    const body = JSON.parse(await readFile(out, 'utf8'));
    jobId = body.job_id;
    expect(body.results.map((f: { frame_index: number }) => f.frame_index)).toEqual([0, 5, 10]);
  });

  it('prints the status and the results of a job as JSON', async () => {
    const status = await runCli(['status', jobId]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ job_id: jobId, status: 'completed', progress: 1 });
    const results = await runCli(['results', jobId]);
    expect(results.code).toBe(0);
    expect(JSON.parse(results.stdout).results).toHaveLength(3);
  });

  it('exits 1 with the failed status when the job fails', async () => {
    const corrupt = await makeRandomFtypFile(path.join(tmp.dir, 'corrupt.mp4'));
    const r = await runCli(['submit', corrupt, '--pipeline', 'yolo', '--wait']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'failed', error_message: expect.any(String) });
  });

  it('exits 2 with the API detail for a file that is not an MP4', async () => {
    const png = path.join(tmp.dir, 'photo.mp4');
    await writeFile(png, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const r = await runCli(['submit', png]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/400 .*not an MP4/);
  });

  it("exits 2 for a wrong API key and for another key's job", async () => {
    expect((await runCli(['status', jobId], { VIDEO_JOBS_API_KEY: 'wrong' })).code).toBe(2);
    const other = await runCli(['status', jobId], { VIDEO_JOBS_API_KEY: 'other-key' });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/404/);
  });

  it('exits 3 when the service cannot be reached', async () => {
    const r = await runCli(['status', jobId], { VIDEO_JOBS_URL: `http://127.0.0.1:${await freePort()}` });
    expect(r.code).toBe(3);
  });
});
