import sharp from 'sharp';
import type { RgbImage } from '../types';

export interface SameFrameOptions {
  /** Thumbnail width in pixels (height follows the aspect). Default 64. */
  thumbnailWidth?: number;
  /**
   * Largest difference (0..255) any thumbnail pixel may show for two frames to count as the same.
   * A per-cell maximum, not a mean, so a small change (one digit of an on-screen clock) still
   * counts as different while compression noise, averaged away in the thumbnail, does not. Default 6.
   */
  maxPixelDifference?: number;
}

/** A small greyscale copy of a frame, for cheap comparisons. */
export interface Thumbnail {
  data: Buffer;
  width: number;
  height: number;
}

export async function thumbnail(image: RgbImage, width = 64): Promise<Thumbnail> {
  const w = Math.min(width, image.width);
  const h = Math.max(1, Math.round((image.height * w) / image.width));
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(w, h, { fit: 'fill' })
    .greyscale()
    .raw()
    .toBuffer();
  return { data, width: w, height: h };
}

export function maxDifference(a: Thumbnail, b: Thumbnail): number {
  if (a.width !== b.width || a.height !== b.height) return 255;
  let max = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    if (d > max) max = d;
  }
  return max;
}

/**
 * Remembers the thumbnail of the last frame OCR actually read, and says whether a new frame looks
 * the same (then its text can be reused instead of reading it again: OCR costs ~0.3-0.8 s a frame).
 * One instance per video.
 */
export class SameFrameDetector {
  private last?: Thumbnail;
  private readonly width: number;
  private readonly threshold: number;

  constructor(options: SameFrameOptions = {}) {
    this.width = options.thumbnailWidth ?? 64;
    this.threshold = options.maxPixelDifference ?? 6;
  }

  /** True when the frame looks like the last frame read; otherwise it becomes the new "last read". */
  async isSameAsLastRead(image: RgbImage): Promise<boolean> {
    const thumb = await thumbnail(image, this.width);
    if (this.last && maxDifference(this.last, thumb) <= this.threshold) return true;
    this.last = thumb;
    return false;
  }
}
