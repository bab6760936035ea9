/**
 * Packed RGB to the planar BGR float tensors the PP-OCR models take. PaddleOCR reads images with OpenCV
 * (BGR) and the models were trained that way, so channel 0 is blue; the per-channel mean/std are applied in
 * that order, exactly as PaddleOCR's `NormalizeImage` does.
 */

/** Detector input: (x / 255 - mean) / std with ImageNet statistics, [3, height, width]. */
export function detectorTensorData(rgb: Buffer, width: number, height: number): Float32Array {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    const r = rgb[i * 3];
    const g = rgb[i * 3 + 1];
    const b = rgb[i * 3 + 2];
    out[i] = (b / 255 - mean[0]) / std[0];
    out[plane + i] = (g / 255 - mean[1]) / std[1];
    out[2 * plane + i] = (r / 255 - mean[2]) / std[2];
  }
  return out;
}

/** A region of a packed RGB image, in whole source pixels. */
export interface Crop {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Resizes `crop` of the source to `outWidth` x `outHeight` with bilinear sampling (OpenCV INTER_LINEAR, as
 * PaddleOCR's recogniser pre-processing) and writes it, normalised to -1..1, into item `item` of a
 * [batch, 3, outHeight, tensorWidth] tensor. Columns from outWidth to tensorWidth are left as they are (0:
 * PaddleOCR pads the batch to its widest item with zeros).
 */
export function writeRecognizerItem(
  target: Float32Array,
  item: number,
  tensorWidth: number,
  outHeight: number,
  outWidth: number,
  rgb: Buffer,
  imageWidth: number,
  crop: Crop,
): void {
  const plane = outHeight * tensorWidth;
  const base = item * 3 * plane;
  const sx = crop.width / outWidth;
  const sy = crop.height / outHeight;
  for (let ty = 0; ty < outHeight; ty++) {
    const fy = Math.min(Math.max((ty + 0.5) * sy - 0.5, 0), crop.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, crop.height - 1);
    const wy = fy - y0;
    const row0 = (crop.y + y0) * imageWidth;
    const row1 = (crop.y + y1) * imageWidth;
    for (let tx = 0; tx < outWidth; tx++) {
      const fx = Math.min(Math.max((tx + 0.5) * sx - 0.5, 0), crop.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, crop.width - 1);
      const wx = fx - x0;
      const a = (row0 + crop.x + x0) * 3;
      const b = (row0 + crop.x + x1) * 3;
      const c = (row1 + crop.x + x0) * 3;
      const d = (row1 + crop.x + x1) * 3;
      const o = base + ty * tensorWidth + tx;
      for (let ch = 0; ch < 3; ch++) {
        const v =
          (rgb[a + ch] * (1 - wx) + rgb[b + ch] * wx) * (1 - wy) + (rgb[c + ch] * (1 - wx) + rgb[d + ch] * wx) * wy;
        // RGB source channel ch goes to BGR plane 2 - ch.
        target[o + (2 - ch) * plane] = v / 127.5 - 1;
      }
    }
  }
}
