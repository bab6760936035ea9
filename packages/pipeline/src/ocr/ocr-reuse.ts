import type { Ocr, RgbImage, TextLine } from '../types';
import { SameFrameDetector, type SameFrameOptions } from './same-frame';

export interface OcrReuseStats {
  /** Frames OCR actually read. */
  calls: number;
  /** Frames that reused the previous read's text because they looked the same. */
  reused: number;
}

/**
 * OCR for one video's frames, in frame order, reusing the text of the last frame read when a frame
 * looks the same. Decisions are made strictly in order (a chain), while the reads themselves may
 * run concurrently on the engine's pool.
 */
export class OcrWithReuse {
  private chain: Promise<unknown> = Promise.resolve();
  private lastRead?: Promise<TextLine[]>;
  private readonly same?: SameFrameDetector;

  constructor(
    private readonly ocr: Ocr,
    readonly stats: OcrReuseStats,
    options: SameFrameOptions | false = {},
  ) {
    if (options !== false) this.same = new SameFrameDetector(options);
  }

  /** Call in frame order. */
  read(image: RgbImage): Promise<TextLine[]> {
    const decided = this.chain.then(async () => {
      if (this.same && (await this.same.isSameAsLastRead(image)) && this.lastRead) {
        this.stats.reused++;
        return { lines: this.lastRead };
      }
      this.stats.calls++;
      this.lastRead = this.ocr.read(image);
      // Wrapped so the chain moves on to the next decision without waiting for this read.
      return { lines: this.lastRead };
    });
    // The chain only orders decisions; a failure still reaches this frame's caller through `decided`.
    this.chain = decided.catch(() => undefined);
    return decided.then((d) => d.lines);
  }
}
