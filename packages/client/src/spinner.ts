/** Where the spinner draws: stderr in the CLI (stdout carries the JSON). */
export interface SpinnerStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

const GLYPHS = ['-', '\\', '|', '/'];

/**
 * A one-line spinner showing the job's status and the time waited; nothing more detailed exists
 * (progress is coarse by design). On a stream that is not a terminal it draws nothing and prints
 * a plain line each time the text changes, so logs stay readable.
 */
export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private tick = 0;
  private text = '';
  private readonly started: number;

  constructor(
    private readonly out: SpinnerStream,
    private readonly animate: boolean = Boolean(out.isTTY),
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  update(text: string): void {
    if (text === this.text) return;
    this.text = text;
    if (!this.animate) {
      this.out.write(`${text}\n`);
      return;
    }
    if (!this.timer) {
      this.timer = setInterval(() => this.render(), 120);
      this.timer.unref();
    }
    this.render();
  }

  /** Clears the line; can be called more than once. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.animate && this.text) this.out.write('\r\x1b[2K');
    this.text = '';
  }

  private render(): void {
    const glyph = GLYPHS[this.tick++ % GLYPHS.length];
    const seconds = Math.floor((this.now() - this.started) / 1000);
    this.out.write(`\r\x1b[2K${glyph} ${this.text} (${seconds}s)`);
  }
}
