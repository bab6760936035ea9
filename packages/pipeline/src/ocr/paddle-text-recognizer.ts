import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Box, RgbImage } from '../types';
import { ctcGreedyDecode, type DecodedText } from './paddle-ctc-decode';
import { writeRecognizerItem, type Crop } from './paddle-tensor';

/** The recogniser's fixed input height (PaddleOCR rec_image_shape 3,48,320). */
const HEIGHT = 48;
/**
 * Crops narrower than this are padded to it. PaddleOCR pads every crop to at least 320 px; `pnpm bench:ocr`
 * read exactly as well with 96 (12 CTC time steps, enough for short strings), 25-30 % faster on the
 * traffic-camera frames, whose plates and captions are short crops, and with fewer junk reads of
 * single glyphs (docs/pipeline.md, "OCR engines").
 */
const MIN_WIDTH = 96;

export interface TextRecognizerOptions {
  /**
   * At most this many crops per ONNX Runtime run (PaddleOCR rec_batch_num). On CPU, batches of 6 and one crop
   * per run measured the same time per frame; batching keeps the number of native calls down.
   */
  batchSize: number;
  /** A batch is closed when its widest crop would be more than this times its narrowest (padding is work). */
  maxWidthRatio: number;
}

export const TEXT_RECOGNIZER_DEFAULTS: TextRecognizerOptions = { batchSize: 6, maxWidthRatio: 1.5 };

/** The PP-OCRv4 recogniser: what the text in each box says. */
export class PaddleTextRecognizer {
  constructor(
    private readonly session: InferenceSession,
    private readonly charset: readonly string[],
    private readonly options: TextRecognizerOptions = TEXT_RECOGNIZER_DEFAULTS,
  ) {}

  /** One result per box, in the order of `boxes`. */
  async recognize(image: RgbImage, boxes: readonly Box[]): Promise<DecodedText[]> {
    const crops = boxes.map((box) => cropOf(box, image.width, image.height));
    // Like PaddleOCR, sort by aspect ratio so each batch holds crops of similar width and padding wastes little.
    const order = crops.map((_, i) => i).sort((a, b) => ratio(crops[a]) - ratio(crops[b]) || a - b);
    const results = new Array<DecodedText>(boxes.length);
    for (const batch of batches(
      order.map((i) => paddedWidth(crops[i])),
      this.options,
    )) {
      const items = batch.map((k) => order[k]);
      const decoded = await this.runBatch(
        image,
        items.map((i) => crops[i]),
      );
      items.forEach((i, k) => (results[i] = decoded[k]));
    }
    return results;
  }

  private async runBatch(image: RgbImage, crops: Crop[]): Promise<DecodedText[]> {
    const widths = crops.map((c) => Math.ceil(HEIGHT * ratio(c)));
    const tensorWidth = Math.max(...crops.map(paddedWidth));
    const data = new Float32Array(crops.length * 3 * HEIGHT * tensorWidth);
    crops.forEach((crop, k) =>
      writeRecognizerItem(data, k, tensorWidth, HEIGHT, widths[k], image.data, image.width, crop),
    );
    const input = new Tensor('float32', data, [crops.length, 3, HEIGHT, tensorWidth]);
    const outputs = await this.session.run({ [this.session.inputNames[0]]: input });
    const probs = outputs[this.session.outputNames[0]];
    try {
      const [, steps, classes] = probs.dims;
      if (classes !== this.charset.length) {
        throw new Error(`recognition model has ${classes} classes but the dictionary gives ${this.charset.length}`);
      }
      return crops.map((_, k) => ctcGreedyDecode(probs.data as Float32Array, steps, classes, k, this.charset));
    } finally {
      probs.dispose();
    }
  }
}

/** The whole source pixels covering `box`, at least 1x1 and inside the image. */
export function cropOf(box: Box, width: number, height: number): Crop {
  const x1 = Math.min(Math.max(Math.floor(box[0]), 0), width - 1);
  const y1 = Math.min(Math.max(Math.floor(box[1]), 0), height - 1);
  const x2 = Math.min(Math.max(Math.ceil(box[2]), x1 + 1), width);
  const y2 = Math.min(Math.max(Math.ceil(box[3]), y1 + 1), height);
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}

/**
 * Splits crops, given in order of increasing width, into runs of consecutive ones; returns their indexes.
 * Every crop in a run is padded to the run's widest, so a run stops growing where that would waste more than
 * maxWidthRatio of the narrowest crop's work.
 */
export function batches(widths: readonly number[], options: TextRecognizerOptions): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  for (let k = 0; k < widths.length; k++) {
    if (
      current.length > 0 &&
      (current.length >= options.batchSize || widths[k] > widths[current[0]] * options.maxWidthRatio)
    ) {
      out.push(current);
      current = [];
    }
    current.push(k);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The width a crop takes in the recogniser's input: scaled to HEIGHT, at least MIN_WIDTH. */
function paddedWidth(crop: Crop): number {
  return Math.max(MIN_WIDTH, Math.ceil(HEIGHT * ratio(crop)));
}

function ratio(crop: Crop): number {
  return crop.width / crop.height;
}
