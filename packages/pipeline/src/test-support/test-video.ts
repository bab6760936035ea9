import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ffmpegPath } from '../media/binaries';
import { makeTextImage } from './text-image';

export interface TestVideoOptions {
  /** Where to write the MP4. */
  path: string;
  frames: number;
  width?: number;
  height?: number;
  fps?: number;
  /**
   * Text drawn on every frame (dark on white), or a function giving each frame's text. Frames
   * without text still differ from each other: a small grey square moves one step per frame.
   */
  text?: string | string[] | ((index: number) => string | string[]);
  /** Draw the moving square (default true) so consecutive frames are not identical. */
  moving?: boolean;
  /** Background colour (CSS), fixed or per frame: e.g. a grey level per index lets a test tell frames apart. */
  background?: string | ((index: number) => string);
}

/**
 * Encodes a small H.264 MP4 (yuv420p, faststart) with the bundled ffmpeg from frames drawn by sharp.
 * Meant for tests anywhere in the workspace: `await makeTestVideo({ path, frames: 30 })`.
 */
export async function makeTestVideo(options: TestVideoOptions): Promise<string> {
  const { path, frames, width = 320, height = 240, fps = 30, moving = true } = options;
  if (width % 2 || height % 2) throw new Error('makeTestVideo: width and height must be even (yuv420p)');
  const ff = spawn(
    ffmpegPath(),
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-r',
      String(fps),
      '-i',
      'pipe:0',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-g',
      String(Math.max(1, Math.min(frames, 30))),
      '-movflags',
      '+faststart',
      path,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  ff.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(ff, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  // If ffmpeg dies early, writes fail with EPIPE; its exit code and stderr below say why.
  let stdinFailed = false;
  ff.stdin.on('error', () => (stdinFailed = true));
  // Consecutive frames usually share text and background: render once, reuse until they change.
  let cached: { key: string; base: Buffer } | undefined;
  try {
    for (let i = 0; i < frames; i++) {
      const text = typeof options.text === 'function' ? options.text(i) : options.text;
      const background = typeof options.background === 'function' ? options.background(i) : options.background;
      const key = JSON.stringify([text ?? null, background ?? null]);
      if (cached?.key !== key) cached = { key, base: (await makeTextImage({ text, width, height, background })).data };
      const base = cached.base;
      const frame = moving ? withSquare(base, width, height, i) : base;
      if (!ff.stdin.write(frame)) await Promise.race([once(ff.stdin, 'drain'), exited]);
      if (stdinFailed || ff.exitCode !== null) break;
    }
    ff.stdin.end();
  } catch (err) {
    ff.kill('SIGKILL');
    await exited;
    throw err;
  }
  const [code] = await exited;
  if (code !== 0) throw new Error(`makeTestVideo: ffmpeg exited with ${code}: ${stderr.trim()}`);
  return path;
}

/** Copies the frame and draws an 8x8 grey square at a position that moves with the frame index. */
function withSquare(base: Buffer, width: number, height: number, index: number): Buffer {
  const out = Buffer.from(base);
  const size = 8;
  const perRow = Math.max(1, Math.floor(width / size));
  const x0 = (index % perRow) * size;
  const y0 = height - size - ((Math.floor(index / perRow) * size) % Math.max(size, height - size));
  for (let y = Math.max(0, y0); y < Math.min(height, y0 + size); y++) {
    out.fill(128, (y * width + x0) * 3, (y * width + Math.min(width, x0 + size)) * 3);
  }
  return out;
}
