import sharp from 'sharp';
import type { Box, RgbImage } from '../types';

export interface TextImageOptions {
  /** One string per line of text; a string is one line. */
  text?: string | string[];
  width?: number;
  height?: number;
  /** Left edge and baseline of the first line, in pixels. Default: roughly centred. */
  x?: number;
  y?: number;
  fontSize?: number;
  background?: string;
  color?: string;
}

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** An SVG of bold sans-serif text on a plain background (sharp renders it with librsvg). */
export function textSvg(options: TextImageOptions = {}): string {
  const { width = 640, height = 360, fontSize = Math.round(height / 7) } = options;
  const lines = options.text === undefined ? [] : Array.isArray(options.text) ? options.text : [options.text];
  const x = options.x ?? Math.round(width * 0.12);
  const y = options.y ?? Math.round(height / 2 + fontSize / 3 - ((lines.length - 1) * fontSize * 1.4) / 2);
  const spans = lines
    .map((line, i) => `<text x="${x}" y="${Math.round(y + i * fontSize * 1.4)}">${escapeXml(line)}</text>`)
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="100%" height="100%" fill="${options.background ?? 'white'}"/>` +
    `<g font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" font-weight="bold" fill="${options.color ?? 'black'}">` +
    `${spans}</g></svg>`
  );
}

/** Renders text to a packed RGB image (3 bytes per pixel), the form the pipeline hands to Ocr. */
export async function makeTextImage(options: TextImageOptions = {}): Promise<RgbImage> {
  const { data, info } = await sharp(Buffer.from(textSvg(options)))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** A plain image of one colour, no text. */
export function makeBlankImage(width = 640, height = 360, rgb: [number, number, number] = [255, 255, 255]): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return { data, width, height };
}

/**
 * The bounding box [x1, y1, x2, y2] of the pixels that differ from the top-left pixel (the
 * background) by more than `threshold` in any channel: where the text actually landed, so tests
 * need not guess font metrics. Null for an image with nothing on it.
 */
export function inkBox(image: RgbImage, threshold = 96): Box | null {
  const { data, width, height } = image;
  const [r0, g0, b0] = [data[0], data[1], data[2]];
  let x1 = width,
    y1 = height,
    x2 = -1,
    y2 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const d = Math.max(Math.abs(data[i] - r0), Math.abs(data[i + 1] - g0), Math.abs(data[i + 2] - b0));
      if (d > threshold) {
        if (x < x1) x1 = x;
        if (x > x2) x2 = x;
        if (y < y1) y1 = y;
        if (y > y2) y2 = y;
      }
    }
  }
  return x2 < 0 ? null : [x1, y1, x2 + 1, y2 + 1];
}
