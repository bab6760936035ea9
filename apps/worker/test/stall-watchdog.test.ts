// The progress watchdog (STALL_MS) against a real wedge: the worker's ffmpeg is frozen with SIGSTOP,
// so the pipeline yields no frame while the process, its pipe and its heartbeat all stay alive, as in
// issue 16. Split stack: `node apps/api` + one `node apps/worker` over Postgres, Redis, local storage.
// Every wait is on state (a process, a log line, a row) with a generous bound; nothing is timed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTempDir, makeTestVideo, runFfmpeg } from '../../../packages/pipeline/src/test-support';
import { startStack, waitUntil, type Stack, type StackProcess } from '../../../tools/lib/stack';

jest.setTimeout(300_000);

// Long enough that the other job never trips it on a loaded machine; each frozen attempt costs this much.
const STALL_MS = 10_000;
const MAX_ATTEMPTS = 2;
const BOUND_MS = 120_000;

let tmp: { dir: string; remove: () => Promise<void> };
let longClip: string;
let shortClip: string;

beforeAll(async () => {
  tmp = await makeTempDir();
  longClip = path.join(tmp.dir, 'long.mp4');
  // 1500 small frames: the worker is still reading it whenever the test freezes its ffmpeg.
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc=s=160x120:r=25:d=60',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    longClip,
  ]);
  shortClip = await makeTestVideo({ path: path.join(tmp.dir, 'short.mp4'), frames: 3, width: 160, height: 120 });
});
afterAll(async () => tmp?.remove());

/** Live (not zombie) ffmpeg children of `parentPid` reading a file whose name has `jobId` in it. */
function ffmpegChildren(parentPid: number, jobId: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== parentPid || state === 'Z') continue;
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0]) === 'ffmpeg' && argv.some((a) => a.includes(jobId))) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Waits for the worker's ffmpeg of `jobId` (one not stopped before) and freezes it. */
async function freezeFfmpegOf(worker: StackProcess, jobId: string, frozen: number[]): Promise<number> {
  let pid: number | undefined;
  await waitUntil(
    () => {
      pid = ffmpegChildren(worker.proc.pid!, jobId).find((p) => !frozen.includes(p));
      return pid !== undefined;
    },
    BOUND_MS,
    worker,
  );
  process.kill(pid!, 'SIGSTOP');
  frozen.push(pid!);
  return pid!;
}

const isGone = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
};

describe('progress watchdog (STALL_MS) on the split stack', () => {
  let stack: Stack;
  afterAll(async () => stack?.stop());

  it('releases a job whose ffmpeg is frozen after STALL_MS, processes the next job, and fails and dead-lists the frozen one after MAX_ATTEMPTS', async () => {
    stack = await startStack({
      storage: 'local',
      env: { STALL_MS: String(STALL_MS), MAX_ATTEMPTS: String(MAX_ATTEMPTS), WORKER_CONCURRENCY: '1' },
    });
    await stack.startApi();
    const worker = await stack.startWorker();
    const frozen: number[] = [];
    const linesOf = (jobId: string, text: string) => worker.lines.filter((l) => l.includes(jobId) && l.includes(text));

    const stalled = await stack.submit(longClip, { pipeline_id: 'yolo' });
    await freezeFfmpegOf(worker, stalled, frozen);
    const next = await stack.submit(shortClip, { pipeline_id: 'yolo' });

    // First attempt: aborted for no progress, ffmpeg killed, the job back to pending for a retry.
    await waitUntil(() => linesOf(stalled, 'job released for retry').length === 1, BOUND_MS, worker);
    const [aborted] = linesOf(stalled, 'job made no progress');
    const idle = /no progress for (\d+(?:\.\d)?) s at frame (\d+)/.exec(aborted);
    expect(idle).not.toBeNull();
    // The watchdog measures the idle time itself; it never fires before STALL_MS.
    expect(Number(idle![1]) * 1000).toBeGreaterThanOrEqual(STALL_MS);
    await waitUntil(() => isGone(frozen[0]), BOUND_MS);

    // The retry is frozen the same way; the other job gets through either before or after it.
    await freezeFfmpegOf(worker, stalled, frozen);
    const rows = await stack.waitForFinal([stalled, next], BOUND_MS);
    const stalledRow = rows.find((r) => r.job_id === stalled)!;
    const nextRow = rows.find((r) => r.job_id === next)!;
    expect(nextRow).toMatchObject({ status: 'completed', attempts: 1 });
    expect(stalledRow).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
    expect(stalledRow.error_message).toMatch(
      new RegExp(`^failed after ${MAX_ATTEMPTS} attempts: no progress for \\d+(\\.\\d)? s at frame \\d+$`),
    );
    expect(await stack.redis.lrange(`${stack.prefix}dead`, 0, -1)).toEqual([stalled]);
    expect((await stack.status(stalled)).error_message).toBe(stalledRow.error_message);

    // Both frozen ffmpegs were killed and the job's temp input removed.
    await waitUntil(() => frozen.every(isGone), BOUND_MS);
    const tmpDir = path.join(os.tmpdir(), 'video-jobs');
    const leftovers = fs.existsSync(tmpDir) ? fs.readdirSync(tmpDir).filter((f) => f.startsWith(stalled)) : [];
    expect(leftovers).toEqual([]);
    expect(linesOf(stalled, 'job claimed')).toHaveLength(MAX_ATTEMPTS);
  });
});
