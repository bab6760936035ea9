import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { createScheduler, createWorker, OEM, PSM, type Scheduler, type Word } from 'tesseract.js';
import type { Ocr, RgbImage, TextLine } from '../types';
import { groupWordsIntoLines, hasLetterOrDigit, type OcrWord } from './text-lines';

export interface TesseractOcrOptions {
  /** Words below this confidence (0..1) are dropped. Default DEFAULT_TESSERACT_MIN_CONFIDENCE. */
  minConfidence?: number;
  /** Worker threads in the pool (each one a WASM tesseract, ~40 MB). Default: the number of cores. */
  workers?: number;
}

/**
 * Word confidence floor, chosen by measurement (docs/pipeline.md, "Choosing the confidence floor"):
 * on generated signs and traffic-camera frames, real words score 0.86-0.96 and clutter read from
 * textures mostly below 0.6 but up to 0.83 ("===="-like tokens are removed by the letter/digit rule).
 */
export const DEFAULT_TESSERACT_MIN_CONFIDENCE = 0.75;

/** The gzipped LSTM model shipped in @tesseract.js-data/eng, read from disk: no network, no cache. */
function engLangPath(): string {
  return path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
}

/**
 * tesseract.js behind the Ocr interface. A scheduler spreads frames over a pool of workers; each
 * worker runs sparse-text mode (PSM 11), which finds scattered words (signs, overlays) where the
 * default page mode expects a document and returns nothing useful on video frames (DESIGN §7).
 */
export class TesseractOcr implements Ocr {
  private closing?: Promise<void>;

  private constructor(
    private readonly scheduler: Scheduler,
    private readonly minConfidence: number,
  ) {}

  static async create(options: TesseractOcrOptions = {}): Promise<TesseractOcr> {
    const minConfidence = options.minConfidence ?? DEFAULT_TESSERACT_MIN_CONFIDENCE;
    if (!(minConfidence >= 0 && minConfidence <= 1))
      throw new RangeError(`minConfidence must be in 0..1, got ${minConfidence}`);
    const size = Math.max(1, options.workers ?? os.availableParallelism());
    const scheduler = createScheduler();
    try {
      const workers = await Promise.all(
        Array.from({ length: size }, async () => {
          const worker = await createWorker('eng', OEM.LSTM_ONLY, {
            langPath: engLangPath(),
            cacheMethod: 'none',
            gzip: true,
          });
          await worker.setParameters({
            tessedit_pageseg_mode: PSM.SPARSE_TEXT,
            // tesseract prints notes ("Estimating resolution as ...") per frame to stdout; not ours to show.
            debug_file: '/dev/null',
          });
          return worker;
        }),
      );
      for (const worker of workers) scheduler.addWorker(worker);
    } catch (err) {
      await scheduler.terminate();
      throw new Error(`could not start tesseract.js workers: ${(err as Error)?.message ?? String(err)}`, {
        cause: err,
      });
    }
    return new TesseractOcr(scheduler, minConfidence);
  }

  async read(image: RgbImage): Promise<TextLine[]> {
    return groupWordsIntoLines(await this.readWords(image));
  }

  /** The words kept (letter or digit, at or above the confidence floor), before grouping into lines. */
  async readWords(image: RgbImage): Promise<OcrWord[]> {
    if (this.closing) throw new Error('TesseractOcr is closed');
    const pgm = await toNormalisedPgm(image);
    const { data } = await this.scheduler.addJob('recognize', pgm, {}, { blocks: true, text: false });
    const words: OcrWord[] = [];
    for (const block of data.blocks ?? [])
      for (const paragraph of block.paragraphs)
        for (const line of paragraph.lines) for (const word of line.words) this.keep(word, image, words);
    return words;
  }

  private keep(word: Word, image: RgbImage, into: OcrWord[]): void {
    const text = word.text.trim();
    const confidence = word.confidence / 100;
    if (!text || !hasLetterOrDigit(text) || confidence < this.minConfidence) return;
    const { x0, y0, x1, y1 } = word.bbox;
    into.push({
      text,
      confidence,
      box: [Math.max(0, x0), Math.max(0, y0), Math.min(image.width, x1), Math.min(image.height, y1)],
    });
  }

  close(): Promise<void> {
    this.closing ??= this.scheduler.terminate().then(() => undefined);
    return this.closing;
  }
}

/**
 * Greyscale, contrast-stretched frame as a binary PGM: tesseract reads PNM natively, so nothing is
 * compressed only to be decompressed again.
 */
async function toNormalisedPgm(image: RgbImage): Promise<Buffer> {
  const grey = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .greyscale()
    .normalise()
    .raw()
    .toBuffer();
  return Buffer.concat([Buffer.from(`P5\n${image.width} ${image.height}\n255\n`), grey]);
}
