// Test videos for the bench and fault scripts, made with the bundled ffmpeg and cached under
// .tmp/bench-videos (a 5-minute 720p clip takes minutes to encode on these machines).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import sharp from 'sharp';

const root = path.resolve(__dirname, '..', '..', '..');
const cacheDir = path.join(root, '.tmp', 'bench-videos');
export const ffmpegPath = (): string => ffmpegInstaller.path;

export function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const ff = spawn(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    ff.stderr.on('data', (d) => (stderr += d));
    ff.on('error', reject);
    ff.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${stderr.trim()}`))));
  });
}

/** Writes `file` with `make(tmp)` unless it is cached; the temp name means a killed run leaves no half file. */
async function cached(name: string, make: (tmp: string) => Promise<unknown>): Promise<string> {
  const file = path.join(cacheDir, name);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = path.join(cacheDir, `.${process.pid}.${name}`);
  try {
    await make(tmp);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return file;
}

/** An H.264 testsrc2 clip (moving pattern, every frame different), faststart. */
export function testVideo({
  seconds,
  width = 1280,
  height = 720,
  fps = 30,
}: {
  seconds: number;
  width?: number;
  height?: number;
  fps?: number;
}): Promise<string> {
  return cached(`testsrc2-${width}x${height}-${fps}fps-${seconds}s.mp4`, (tmp) =>
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${width}x${height}:rate=${fps}`,
      '-t',
      String(seconds),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      tmp,
    ]),
  );
}

/**
 * A real clip padded to exactly `bytes` with a trailing ISO-BMFF `free` box, which players and
 * ffprobe skip: a valid MP4 of a chosen size for upload benchmarks.
 */
export async function paddedVideo(bytes: number): Promise<string> {
  const source = await testVideo({ seconds: 2, width: 640, height: 360 });
  return cached(`padded-${bytes}.mp4`, async (tmp) => {
    const data = fs.readFileSync(source);
    const pad = bytes - data.length;
    if (pad < 8) throw new Error(`source clip is already ${data.length} bytes`);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(pad, 0);
    header.write('free', 4, 'latin1');
    fs.writeFileSync(tmp, Buffer.concat([data, header, Buffer.alloc(pad - 8)]));
  });
}

/** An MP4 with only an AAC audio track. */
export function audioOnlyMp4(): Promise<string> {
  return cached('audio-only.mp4', (tmp) =>
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', '-f', 'mp4', tmp]),
  );
}

/** A clip without faststart (moov at the end), so cutting it in half loses the index. */
export function moovAtEndVideo(): Promise<string> {
  return cached('moov-at-end-320x240.mp4', (tmp) =>
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x240:rate=30',
      '-t',
      '1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-f',
      'mp4',
      tmp,
    ]),
  );
}

/**
 * A video whose picture never changes: ../shared/samples/cars.jpg at 1280x720 with a two-line
 * caption, held for `seconds` at 30 fps. Text that stays on screen, as in a news ticker or a
 * parked camera's overlay, is what same-frame OCR reuse is for.
 */
export async function staticTextVideo({
  seconds = 2,
  lines = ['PARKING LEVEL 2', 'EXIT B 14:05'],
}: { seconds?: number; lines?: string[] } = {}): Promise<string> {
  const photo = path.join(root, '..', 'shared', 'samples', 'cars.jpg');
  const tag = createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 8);
  return cached(`static-text-${seconds}s-${tag}.mp4`, async (tmp) => {
    const caption = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="720">' +
        '<rect x="60" y="500" width="760" height="190" fill="black" fill-opacity="0.75"/>' +
        '<g font-family="DejaVu Sans, sans-serif" font-size="64" font-weight="bold" fill="white">' +
        lines.map((l, i) => `<text x="90" y="${575 + i * 85}">${l}</text>`).join('') +
        '</g></svg>',
    );
    const png = `${tmp}.png`;
    try {
      await sharp(photo)
        .resize(1280, 720, { fit: 'cover' })
        .composite([{ input: caption }])
        .png()
        .toFile(png);
      await ffmpeg([
        '-loop',
        '1',
        '-framerate',
        '30',
        '-i',
        png,
        '-t',
        String(seconds),
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-pix_fmt',
        'yuv420p',
        '-movflags',
        '+faststart',
        '-f',
        'mp4',
        tmp,
      ]);
    } finally {
      fs.rmSync(png, { force: true });
    }
  });
}

/** A one-frame H.264 MP4 (160x120 testsrc2): the least a job can be, for soak runs of thousands. */
export function oneFrameVideo(): Promise<string> {
  return cached('one-frame-160x120.mp4', (tmp) =>
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=30',
      '-frames:v',
      '1',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      tmp,
    ]),
  );
}

/** A one-frame PNG. */
export function pngImage(): Promise<string> {
  return cached('frame.png', (tmp) =>
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x64', '-frames:v', '1', '-f', 'image2', '-c:v', 'png', tmp]),
  );
}

export { cacheDir };
