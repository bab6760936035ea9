import { ValidationError } from '@video-jobs/core/errors';
import type { Ocr } from '../types';
import { PaddleOcr } from './paddle-ocr';
import { TesseractOcr } from './tesseract-ocr';

export const OCR_ENGINES = ['paddle', 'tesseract'] as const;
export type OcrEngineName = (typeof OCR_ENGINES)[number];

export interface OcrFactoryOptions {
  engine: OcrEngineName;
  /** Drop text below this confidence (0..1). Unset: the engine's own measured default. */
  minConfidence?: number;
  /** CPU threads: tesseract workers in the pool, or PP-OCR's ONNX Runtime intra-op threads. */
  threads?: number;
}

/** The one place an OCR_ENGINE name becomes an engine. */
export async function createOcr(options: OcrFactoryOptions): Promise<Ocr> {
  const { engine, minConfidence, threads } = options;
  switch (engine) {
    case 'tesseract':
      return TesseractOcr.create({ minConfidence, workers: threads });
    case 'paddle':
      return PaddleOcr.create({ minConfidence, intraOpThreads: threads });
    default:
      throw new ValidationError(`unknown OCR engine "${String(engine)}"; valid engines: ${OCR_ENGINES.join(', ')}`);
  }
}
