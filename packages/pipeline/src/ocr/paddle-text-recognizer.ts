import { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Box, RgbImage } from '../types';
import { ctcGreedyDecode, type DecodedText } from './paddle-ctc-decode';
import { writeRecognizerItem, type Crop } from './paddle-tensor';

/** The recogniser's fixed input height and its minimum width (PaddleOCR rec_image_shape 3,48,320). */
const HEIGHT = 48;
const MIN_WIDTH = 320;

export interface TextRecognizerOptions {
  /** Crops per ONNX Runtime run (PaddleOCR rec_batch_num). */
  batchSize: number;
}

export const TEXT_RECOGNIZER_DEFAULTS: TextRecognizerOptions = { batchSize: 6 };

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
    // Like PaddleOCR, batch crops of similar aspect ratio so that padding to the widest wastes little work.
    const order = crops.map((_, i) => i).sort((a, b) => ratio(crops[a]) - ratio(crops[b]) || a - b);
    const results: DecodedText[] = new Array(boxes.length);
    for (let start = 0; start < order.length; start += this.options.batchSize) {
      const batch = order.slice(start, start + this.options.batchSize);
      const decoded = await this.runBatch(image, batch.map((i) => crops[i]));
      batch.forEach((i, k) => (results[i] = decoded[k]));
    }
    return results;
  }

  private async runBatch(image: RgbImage, crops: Crop[]): Promise<DecodedText[]> {
    const widths = crops.map((c) => Math.ceil(HEIGHT * ratio(c)));
    const tensorWidth = Math.max(MIN_WIDTH, ...widths);
    const data = new Float32Array(crops.length * 3 * HEIGHT * tensorWidth);
    crops.forEach((crop, k) => writeRecognizerItem(data, k, tensorWidth, HEIGHT, widths[k], image.data, image.width, crop));
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

function ratio(crop: Crop): number {
  return crop.width / crop.height;
}
