import sharp from 'sharp';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Box, RgbImage } from '../types';
import { DB_DEFAULTS, dbBoxes, type DbOptions } from './paddle-db-postprocess';
import { detectorTensorData } from './paddle-tensor';

export interface DetectedText {
  /** In source-image pixels. */
  box: Box;
  /** Mean text probability of the region, 0..1. */
  score: number;
}

export interface TextDetectorOptions {
  /**
   * The longer side of the image is scaled down to at most this before detection (PaddleOCR's
   * det_limit_side_len with limit_type "max"); smaller images are not scaled up.
   */
  maxSide: number;
  db: DbOptions;
}

export const TEXT_DETECTOR_DEFAULTS: TextDetectorOptions = { maxSide: 960, db: DB_DEFAULTS };

/** The PP-OCRv4 text detector: where text is, as axis-aligned boxes in source pixels. */
export class PaddleTextDetector {
  constructor(
    private readonly session: InferenceSession,
    private readonly options: TextDetectorOptions = TEXT_DETECTOR_DEFAULTS,
  ) {}

  async detect(image: RgbImage): Promise<DetectedText[]> {
    const size = detectorInputSize(image.width, image.height, this.options.maxSide);
    const pixels =
      size.width === image.width && size.height === image.height
        ? image.data
        : await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
            .resize(size.width, size.height, { fit: 'fill', kernel: 'linear' })
            .raw()
            .toBuffer();
    const input = new Tensor('float32', detectorTensorData(pixels, size.width, size.height), [
      1,
      3,
      size.height,
      size.width,
    ]);
    const outputs = await this.session.run({ [this.session.inputNames[0]]: input });
    const prob = outputs[this.session.outputNames[0]];
    try {
      const [, , mapHeight, mapWidth] = prob.dims;
      return dbBoxes(prob.data as Float32Array, mapWidth, mapHeight, this.options.db).map(({ box, score }) => ({
        box: mapBoxToSource(box, mapWidth, mapHeight, image.width, image.height),
        score,
      }));
    } finally {
      prob.dispose();
    }
  }
}

/**
 * The detector's input size: longer side at most maxSide, each side a multiple of 32 (the network downsamples
 * 32 times), at least 32. As PaddleOCR's DetResizeForTest, the aspect ratio moves slightly with the rounding.
 */
export function detectorInputSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const ratio = Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1;
  const round32 = (v: number) => Math.max(32, Math.round((v * ratio) / 32) * 32);
  return { width: round32(width), height: round32(height) };
}

/** A box on the probability map (which has the detector input's size) scaled to source pixels, inside the image. */
export function mapBoxToSource(box: Box, mapWidth: number, mapHeight: number, width: number, height: number): Box {
  const sx = width / mapWidth;
  const sy = height / mapHeight;
  return [
    Math.min(Math.max(box[0] * sx, 0), width),
    Math.min(Math.max(box[1] * sy, 0), height),
    Math.min(Math.max(box[2] * sx, 0), width),
    Math.min(Math.max(box[3] * sy, 0), height),
  ];
}
