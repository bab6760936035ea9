/** Thrown into a job whose pipeline (or input download) made no progress for STALL_MS. */
export class StallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = this.constructor.name;
  }
}

/**
 * Watches one job attempt for progress: the input download moving bytes, the pipeline yielding
 * frames. When nothing moved for `stallMs` it calls `onStall` once with a StallError saying where
 * the job stood, e.g. "no progress for 120 s at frame 17". Decoding can wedge in ways no
 * per-component timeout sees (ffmpeg blocked on a pipe, a stuck download), and a heartbeat alone
 * would keep such a job's lease alive for ever. A timer that can be stopped; stop() may be called twice.
 */
export class ProgressWatchdog {
  private last = Date.now();
  private where = 'while downloading the input';
  private readonly timer: NodeJS.Timeout;
  private fired = false;

  constructor(
    private readonly stallMs: number,
    private readonly onStall: (error: StallError) => void,
  ) {
    // Checked often enough that a stall is noticed within a quarter of STALL_MS (and at most 1 s late).
    this.timer = setInterval(() => this.check(), Math.max(10, Math.min(1_000, Math.floor(stallMs / 4))));
    this.timer.unref();
  }

  /** Something moved; `where` says what the job waits for next (for the message). */
  touch(where?: string): void {
    this.last = Date.now();
    if (where !== undefined) this.where = where;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const idle = Date.now() - this.last;
    if (this.fired || idle < this.stallMs) return;
    this.fired = true;
    this.stop();
    this.onStall(new StallError(`no progress for ${formatMs(idle)} ${this.where}`));
  }
}

function formatMs(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}
