/**
 * Frames for `pnpm bench:ocr`: a generated set of 1280x720 frames with known text, and every 25th frame of
 * the traffic-camera sample clip. Both as packed RGB, the form the pipeline hands to an Ocr engine.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import type { RgbImage } from '@video-jobs/pipeline';
import sharp from 'sharp';

type Background = 'white' | 'light' | 'plate' | 'dark' | 'navy' | 'people' | 'cars' | 'dogs';
type Font = 'sans' | 'sans-bold' | 'serif' | 'mono';

export interface GeneratedFrame {
  name: string;
  text: string;
  size: number;
  kind: Background;
  image: RgbImage;
  /** [x1, y1, x2, y2] of the drawn text */
  textBox: number[];
}

export interface ClipFrame {
  index: number;
  image: RgbImage;
}

const SAMPLES = path.resolve(__dirname, '../../../shared/samples');
const WIDTH = 1280;
const HEIGHT = 720;

/**
 * [text, font size px, background, font]. Sizes 14-80 px; light, dark and photo backgrounds; digits,
 * punctuation, plate-like strings, clocks, two-line signs. Written out rather than generated so a change to
 * the set is a visible diff and every run reads the same frames.
 */
export const CASES: [string, number, Background, Font][] = [
  ['KX 4821', 80, 'white', 'sans-bold'],
  ['LS15 EBC', 72, 'plate', 'sans-bold'],
  ['AB12 CDE', 64, 'dark', 'sans-bold'],
  ['WX-731-KP', 56, 'navy', 'mono'],
  ['0123456789', 48, 'people', 'sans-bold'],
  ['04-16-2012 15:34:20', 40, 'dark', 'mono'],
  ['EXIT 42 WEST', 36, 'white', 'sans-bold'],
  ['Hello, world! (v2.5)', 32, 'cars', 'sans'],
  ['Speed limit: 50 km/h', 28, 'light', 'serif'],
  ['ID#7731-A', 24, 'navy', 'sans'],
  ['$19.99 / 2 for $35', 20, 'white', 'sans'],
  ['Platform 9 3/4', 18, 'dark', 'sans'],
  ['Gate B7 - Departures', 16, 'light', 'sans'],
  ['CAM 03 2024/05/17 08:15:42', 14, 'dark', 'mono'],
  ['No parking 8am-6pm', 40, 'dogs', 'sans-bold'],
  ['Total: 1,234.56 EUR', 30, 'white', 'serif'],
  ['Room 214; Floor 2', 22, 'navy', 'sans'],
  ['SALE 50% OFF', 80, 'plate', 'sans-bold'],
  ['Quality & Safety First', 26, 'people', 'sans-bold'],
  ['tel. +44 20 7946 0958', 18, 'white', 'mono'],
  ['M25 J10 3 miles', 48, 'navy', 'sans-bold'],
  ['Order #A-5521 ready', 16, 'dark', 'sans'],
  ['7G 2KL 905', 64, 'cars', 'sans-bold'],
  ['10:45:07 PM', 56, 'dark', 'sans'],
  ['Lot C / Level -2', 34, 'light', 'sans'],
  ['ZX81-4400', 14, 'white', 'sans'],
  ['Warning: high voltage!', 24, 'dogs', 'sans-bold'],
  ['2023-11-05', 72, 'navy', 'mono'],
  ['BUS 38 -> City Centre', 20, 'light', 'sans'],
  ['Q4 revenue +12.5%', 44, 'dark', 'serif'],
  ['HX09 RTY\nPermit 0042', 36, 'plate', 'sans-bold'],
  ['Line 1: OK\nLine 2: FAIL (E17)', 22, 'white', 'mono'],
  ['NB 17 @ 62 mph', 52, 'people', 'sans-bold'],
  ['Frame 000123', 15, 'navy', 'mono'],
  ['Dock 5, Bay 12', 60, 'cars', 'sans-bold'],
  ['Ref: 88-QW-301', 28, 'dark', 'sans'],
];

const FONTS = {
  sans: 'font-family="DejaVu Sans, sans-serif"',
  'sans-bold': 'font-family="DejaVu Sans, sans-serif" font-weight="bold"',
  serif: 'font-family="DejaVu Serif, serif"',
  mono: 'font-family="DejaVu Sans Mono, monospace"',
};

/** Plain backgrounds and their text colour; the photos get white text with a dark outline, as video overlays. */
const PLAIN: Record<string, [string, string]> = {
  white: ['#ffffff', '#111111'],
  light: ['#e6e6e0', '#202020'],
  plate: ['#f5c400', '#101010'],
  dark: ['#101010', '#f0f0f0'],
  navy: ['#1a2a4a', '#ffe14d'],
};
const PHOTOS: Record<string, string> = { people: 'people.jpg', cars: 'cars.jpg', dogs: 'dogs2.jpg' };

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Deterministic positions: the text is not always centred, nor always at the same place. */
function position(index: number, size: number, text: string): { x: number; y: number } {
  const longest = Math.max(...text.split('\n').map((l) => l.length));
  const approxWidth = Math.ceil(longest * size * 0.66);
  const lines = text.split('\n').length;
  const freeX = Math.max(0, WIDTH - approxWidth - 80);
  const freeY = Math.max(0, HEIGHT - lines * size * 1.4 - 80);
  return { x: 40 + ((index * 397) % (freeX + 1)), y: 40 + size + ((index * 211) % (freeY + 1)) };
}

async function background(kind: Background): Promise<sharp.Sharp> {
  if (PHOTOS[kind]) {
    return sharp(path.join(SAMPLES, PHOTOS[kind])).resize(WIDTH, HEIGHT, { fit: 'cover' }).removeAlpha();
  }
  return sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: PLAIN[kind][0] } });
}

/** The text layer alone (transparent elsewhere), so the box it covers can be measured from its alpha. */
function textLayer(
  text: string,
  size: number,
  kind: Background,
  font: Font,
  { x, y }: { x: number; y: number },
): Buffer {
  const photo = Boolean(PHOTOS[kind]);
  const paint = photo
    ? `fill="#ffffff" stroke="#000000" stroke-width="${Math.max(1.5, size / 14)}" paint-order="stroke"`
    : `fill="${PLAIN[kind][1]}"`;
  const spans = text
    .split('\n')
    .map(
      (line, i) =>
        `<text x="${x}" y="${Math.round(y + i * size * 1.4)}" xml:space="preserve">${escapeXml(line)}</text>`,
    )
    .join('');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">` +
      `<g ${FONTS[font]} font-size="${size}" ${paint}>${spans}</g></svg>`,
  );
}

/** The [x1, y1, x2, y2] of the non-transparent pixels of an RGBA buffer. */
function alphaBox(rgba: Buffer, width: number, height: number): number[] {
  let x1 = width,
    y1 = height,
    x2 = -1,
    y2 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba[(y * width + x) * 4 + 3] > 0) {
        if (x < x1) x1 = x;
        if (x > x2) x2 = x;
        if (y < y1) y1 = y;
        if (y > y2) y2 = y;
      }
    }
  }
  if (x2 < 0) throw new Error('a generated text layer came out empty: is a DejaVu font installed?');
  return [x1, y1, x2 + 1, y2 + 1];
}

/** The generated set: { name, text, size, kind, image: {data, width, height}, textBox }. */
export async function generatedFrames(): Promise<GeneratedFrame[]> {
  const frames: GeneratedFrame[] = [];
  for (const [index, [text, size, kind, font]] of CASES.entries()) {
    const layer = textLayer(text, size, kind, font, position(index, size, text));
    const rgba = await sharp(layer).ensureAlpha().raw().toBuffer();
    const textBox = alphaBox(rgba, WIDTH, HEIGHT);
    if (textBox[2] >= WIDTH - 1) throw new Error(`generated text "${text}" at ${size} px runs off the frame`);
    const data = await (
      await background(kind)
    )
      .composite([{ input: layer }])
      .removeAlpha()
      .raw()
      .toBuffer();
    frames.push({ name: `${index}`, text, size, kind, image: { data, width: WIDTH, height: HEIGHT }, textBox });
  }
  return frames;
}

function binary(file: string, envName: string): string {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  // @ffprobe-installer ships its binary without the exec bit and fixes it in a postinstall pnpm may skip.
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    fs.chmodSync(file, fs.statSync(file).mode | 0o111);
  }
  return file;
}

function run(command: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(`${path.basename(command)} exited ${code}: ${Buffer.concat(err).toString().slice(-500)}`)),
    );
  });
}

/** Every `stride`-th frame of a video, decoded by the bundled ffmpeg: { index, image }. */
export async function clipFrames(
  file = path.join(SAMPLES, 'traffic_cam_timestamp.mp4'),
  stride = 25,
): Promise<ClipFrame[]> {
  const probe = await run(binary(ffprobeInstaller.path, 'FFPROBE_PATH'), [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height',
    '-of',
    'csv=p=0',
    file,
  ]);
  const [width, height] = probe.toString().trim().split(',').map(Number);
  const raw = await run(binary(ffmpegInstaller.path, 'FFMPEG_PATH'), [
    '-v',
    'error',
    '-i',
    file,
    '-an',
    '-vf',
    `select=not(mod(n\\,${stride}))`,
    '-vsync',
    '0',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ]);
  const size = width * height * 3;
  if (raw.length === 0 || raw.length % size !== 0) {
    throw new Error(`ffmpeg gave ${raw.length} bytes, not a whole number of ${width}x${height} frames`);
  }
  return Array.from({ length: raw.length / size }, (_, i) => ({
    index: i * stride,
    image: { data: raw.subarray(i * size, (i + 1) * size), width, height },
  }));
}
