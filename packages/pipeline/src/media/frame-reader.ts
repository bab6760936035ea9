import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { isErrorLevel, lineSplitter, parseLogLine } from './ffmpeg-log';

/** A decoded frame as it leaves ffmpeg: selection order `n` (0, 1, 2, ... over selected frames) and pixels. */
export interface RawFrame {
  n: number;
  data: Buffer;
  timestampMs: number;
}

const SHOWINFO = /Parsed_showinfo.*\bn:\s*\d+\s+pts:\s*\S+\s+pts_time:\s*(\S+)/;
const KEEP_ERRORS = 20;

/**
 * Reads fixed-size rgb24 frames from ffmpeg's stdout into a small bounded queue, so ffmpeg decodes
 * ahead while the consumer works, and pauses the pipe when the queue is full (back-pressure: a slow
 * consumer stalls ffmpeg instead of growing memory). Presentation times come from the showinfo
 * filter's stderr lines, matched to frames in order: the k-th line is the k-th frame (showinfo's own
 * frame number is not used: it restarts whenever ffmpeg rebuilds its filter graph).
 */
export class FrameReader {
  private readonly queue: Buffer[] = [];
  private partial: Buffer;
  private filled = 0;
  /** Presentation times logged for frames not yet taken, in frame order. */
  private readonly timestamps: number[] = [];
  private taken = 0;
  private lastTimestampMs = 0;
  private stdoutEnded = false;
  private stderrEnded = false;
  private exit?: { code: number | null; signal: NodeJS.Signals | null };
  private spawnError?: Error;
  private wake: () => void = () => {};
  /** Error-level lines from ffmpeg (first few), and the last lines of any level, for messages. */
  readonly errors: string[] = [];
  readonly tail: string[] = [];
  readonly exited: Promise<void>;

  constructor(
    private readonly proc: ChildProcessByStdio<null, Readable, Readable>,
    private readonly frameBytes: number,
    private readonly maxQueued: number,
  ) {
    this.partial = Buffer.allocUnsafe(frameBytes);
    this.exited = new Promise((resolve) => {
      proc.once('close', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve();
      });
    });
    proc.once('error', (err) => {
      this.spawnError = err;
      this.notify();
    });
    proc.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    proc.stdout.once('end', () => {
      this.stdoutEnded = true;
      this.notify();
    });
    const lines = lineSplitter((l) => this.onLog(l));
    proc.stderr.on('data', (chunk: Buffer) => lines.push(chunk));
    proc.stderr.once('end', () => {
      lines.end();
      this.stderrEnded = true;
      this.notify();
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Bytes of an incomplete last frame, when ffmpeg stopped mid-frame (it should not). */
  get leftoverBytes(): number {
    return this.filled;
  }

  get exitStatus() {
    return this.exit;
  }

  get error(): Error | undefined {
    return this.spawnError;
  }

  /** The next frame, or null once ffmpeg has ended and every frame was taken. */
  async next(signal?: AbortSignal): Promise<RawFrame | null> {
    for (;;) {
      signal?.throwIfAborted();
      if (this.spawnError) throw this.spawnError;
      // A frame's time is logged before its pixels are written, but the two pipes race; wait for it.
      if (this.queue.length && (this.timestamps.length || this.stderrEnded)) {
        const n = this.taken++;
        const data = this.queue.shift()!;
        if (this.proc.stdout.isPaused() && this.queue.length < this.maxQueued) this.proc.stdout.resume();
        const timestampMs = this.timestamps.shift();
        if (timestampMs === undefined) throw new Error(`ffmpeg gave no presentation time for selected frame ${n}`);
        return { n, data, timestampMs };
      }
      if (!this.queue.length && this.stdoutEnded && this.exit) return null;
      await this.changed(signal);
    }
  }

  /** Kills ffmpeg if it still runs and waits until it is reaped. Safe to call more than once. */
  async stop(): Promise<void> {
    if (!this.exit && !this.spawnError) this.proc.kill('SIGKILL');
    // 'close' waits for the pipes to end; a paused stdout with unread frames would never end.
    this.proc.stdout.destroy();
    this.proc.stderr.destroy();
    if (!this.spawnError) await this.exited;
  }

  private onData(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      chunk.copy(this.partial, this.filled, offset, offset + take);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameBytes) {
        this.queue.push(this.partial);
        this.partial = Buffer.allocUnsafe(this.frameBytes);
        this.filled = 0;
      }
    }
    if (this.queue.length >= this.maxQueued) this.proc.stdout.pause();
    this.notify();
  }

  private onLog(raw: string): void {
    const info = SHOWINFO.exec(raw);
    if (info) {
      // A frame without a time (NOPTS) takes its predecessor's, so the k-th line still names the k-th frame.
      const ms = Math.round(Number(info[1]) * 1000);
      if (Number.isFinite(ms)) this.lastTimestampMs = ms;
      this.timestamps.push(this.lastTimestampMs);
      this.notify();
      return;
    }
    const line = parseLogLine(raw);
    if (isErrorLevel(line) && this.errors.length < KEEP_ERRORS) this.errors.push(line.text);
    this.tail.push(line.text);
    if (this.tail.length > KEEP_ERRORS) this.tail.shift();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = () => {};
    wake();
  }

  private changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
    });
  }
}
