import sharp from 'sharp';
import type { RgbImage } from '../types';
import type { LayoutKind, ModelLayout } from './model-layout';

/** Where the resized image sits in the model input: input = source * scale + offset. */
export interface LetterboxGeometry {
  scale: number;
  offsetX: number;
  offsetY: number;
}

const PAD = 114;

/**
 * Resizes the image (aspect kept, bilinear, with sharp) so it fits the model input, and writes it
 * into a CHW float32 tensor padded with 114 grey, in the pixel format the layout was trained on:
 * YOLOX BGR 0..255 placed top-left, Ultralytics RGB 0..1 centred.
 */
export async function letterbox(
  image: RgbImage,
  layout: ModelLayout,
): Promise<{ tensor: Float32Array; geometry: LetterboxGeometry }> {
  const { inputWidth: W, inputHeight: H } = layout;
  const scale = Math.min(W / image.width, H / image.height);
  const w = Math.min(W, Math.max(1, Math.round(image.width * scale)));
  const h = Math.min(H, Math.max(1, Math.round(image.height * scale)));
  const pixels =
    w === image.width && h === image.height
      ? image.data
      : await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
          .resize(w, h, { fit: 'fill', kernel: 'linear' })
          .raw()
          .toBuffer();
  const centred = layout.kind === 'ultralytics';
  const offsetX = centred ? Math.floor((W - w) / 2) : 0;
  const offsetY = centred ? Math.floor((H - h) / 2) : 0;
  return { tensor: toTensor(pixels, w, h, offsetX, offsetY, layout.kind, W, H), geometry: { scale, offsetX, offsetY } };
}

function toTensor(
  px: Buffer,
  w: number,
  h: number,
  ox: number,
  oy: number,
  kind: LayoutKind,
  W: number,
  H: number,
): Float32Array {
  const plane = W * H;
  const tensor = new Float32Array(3 * plane);
  const norm = kind === 'ultralytics' ? 1 / 255 : 1;
  tensor.fill(PAD * norm);
  // Channel planes in model order: YOLOX wants B, G, R; Ultralytics R, G, B.
  const [c0, c1, c2] = kind === 'yolox' ? [2, 1, 0] : [0, 1, 2];
  for (let y = 0; y < h; y++) {
    let src = y * w * 3;
    let dst = (y + oy) * W + ox;
    for (let x = 0; x < w; x++, src += 3, dst++) {
      tensor[dst] = px[src + c0] * norm;
      tensor[plane + dst] = px[src + c1] * norm;
      tensor[2 * plane + dst] = px[src + c2] * norm;
    }
  }
  return tensor;
}
