import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildMessage, RunRequest } from './protocol';

/**
 * slow: over the bound while frames were still coming (the last one under SLOW_IDLE_MS before): the
 * worker was busy, not wedged, but the file's outcome is unknown because it was killed.
 */
export type Verdict = 'completed' | 'failed' | 'slow' | 'hung' | 'crashed';

const SLOW_IDLE_MS = 5_000;

export interface RunOutcome {
  verdict: Verdict;
  /** Frames the pipeline yielded, a failed job's message, or how it hung or crashed. */
  detail: string;
  frames: number;
  ms: number;
  rssMb?: number;
}

/** The watchdog's message (issue 16: "no progress for … at frame N"): a hang that was caught. */
const STALL = /no progress/i;

/**
 * Owns one worker child and runs files through it with a time bound. A file that overruns its
 * bound is a hang: the child's whole process group (node and its ffmpeg) is SIGKILLed and a fresh
 * child, with a fresh scratch DATA_DIR, takes the next file. An exit mid-file is a crash.
 */
export class WorkerHost {
  private child: ChildProcess | undefined;
  private generation = 0;
  private stderrTail = '';
  startups: number[] = [];

  constructor(
    private readonly scratch: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private async spawn(): Promise<ChildProcess> {
    const dataDir = path.join(this.scratch, `worker-${++this.generation}`);
    fs.mkdirSync(dataDir, { recursive: true });
    this.stderrTail = '';
    const child = fork(path.join(__dirname, 'worker-child.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...this.env, DATA_DIR: dataDir },
      // Its own process group, so a kill reaches the ffmpeg it started as well.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-2000);
    });
    const ready = await new Promise<ChildMessage>((resolve, reject) => {
      child.once('message', (m: ChildMessage) => resolve(m));
      child.once('exit', (code, signal) =>
        reject(new Error(`fuzz worker exited at start (${code ?? signal}): ${this.stderrTail}`)),
      );
    });
    if (ready.type === 'ready') this.startups.push(ready.startMs);
    child.removeAllListeners('exit');
    this.child = child;
    return child;
  }

  async run(request: Omit<RunRequest, 'type'>, boundMs: number): Promise<RunOutcome> {
    const child = this.child ?? (await this.spawn());
    const t0 = Date.now();
    let frames = 0;
    let lastFrameAt = t0;
    return new Promise<RunOutcome>((resolve) => {
      const finish = (outcome: Omit<RunOutcome, 'ms' | 'frames'> & { frames?: number }) => {
        clearTimeout(timer);
        child.removeListener('message', onMessage);
        child.removeListener('exit', onExit);
        resolve({ frames, ...outcome, ms: Date.now() - t0 });
      };
      const onMessage = (m: ChildMessage) => {
        if (m.type === 'frame') {
          frames = m.frames;
          lastFrameAt = Date.now();
        } else if (m.type === 'result') {
          finish({ ...classify(m), frames: m.frames, rssMb: m.rssMb });
        } else if (m.type === 'error') {
          finish({ verdict: 'crashed', detail: `the worker threw: ${firstLine(m.message)}` });
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        this.child = undefined;
        finish({
          verdict: 'crashed',
          detail: `worker process died (${signal ?? `exit ${code}`}): ${lastLines(this.stderrTail)}`,
        });
      };
      const timer = setTimeout(() => {
        const idleMs = Date.now() - lastFrameAt;
        const idle = Math.round(idleMs / 1000);
        this.kill();
        finish({
          verdict: frames > 0 && idleMs < SLOW_IDLE_MS ? 'slow' : 'hung',
          detail:
            frames === 0
              ? `no frame in ${Math.round(boundMs / 1000)} s; killed`
              : `over the ${Math.round(boundMs / 1000)} s bound after ${frames} frames, last one ${idle} s before; killed`,
        });
      }, boundMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ type: 'run', ...request } satisfies RunRequest);
    });
  }

  /** SIGKILLs the child's process group; the next run starts a fresh child. */
  kill(): void {
    const child = this.child;
    this.child = undefined;
    if (!child?.pid) return;
    child.removeAllListeners('exit');
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  close(): void {
    this.kill();
  }
}

function classify(m: Extract<ChildMessage, { type: 'result' }>): Pick<RunOutcome, 'verdict' | 'detail'> {
  if (m.outcome === 'completed') return { verdict: 'completed', detail: `${m.frames} frames` };
  if (m.outcome === 'failed' && m.errorMessage) {
    if (STALL.test(m.errorMessage)) return { verdict: 'hung', detail: `stopped by the watchdog: ${m.errorMessage}` };
    return { verdict: 'failed', detail: m.errorMessage };
  }
  if (m.outcome === 'released' && m.attemptError && STALL.test(m.attemptError)) {
    return { verdict: 'hung', detail: `stopped by the watchdog, released for retry: ${m.attemptError}` };
  }
  // An attempt that threw something other than a bad-video error is retried up to MAX_ATTEMPTS:
  // for a file that always does it, that is a poison message, so it counts as a crash.
  return {
    verdict: 'crashed',
    detail: `job ${m.outcome} (status ${m.status})${m.attemptError ? `: unexpected error ${firstLine(m.attemptError)}` : ''}`,
  };
}

const firstLine = (s: string) => s.split('\n')[0].slice(0, 300);
const lastLines = (s: string) => s.trim().split('\n').slice(-3).join(' | ').slice(0, 400);
