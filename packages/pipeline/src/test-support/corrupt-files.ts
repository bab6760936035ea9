import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { ffmpegPath } from '../media/binaries';

/** A zero-byte file. */
export async function makeEmptyFile(path: string): Promise<string> {
  await fs.writeFile(path, Buffer.alloc(0));
  return path;
}

/** An ISO-BMFF `ftyp` box (so it passes an upload's magic-byte check) followed by random bytes. */
export async function makeRandomFtypFile(path: string, size = 64 * 1024): Promise<string> {
  const ftyp = Buffer.from([
    0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d, 0, 0, 2, 0, 0x69, 0x73, 0x6f, 0x6d, 0x6d, 0x70, 0x34,
    0x31,
  ]);
  await fs.writeFile(path, Buffer.concat([ftyp, randomBytes(Math.max(0, size - ftyp.length))]));
  return path;
}

/**
 * The first `fraction` of another file. For an MP4 written without faststart the moov atom is at
 * the end, so the cut loses it; with faststart the cut keeps moov and loses frame data instead.
 */
export async function makeTruncatedCopy(source: string, path: string, fraction = 0.5): Promise<string> {
  const data = await fs.readFile(source);
  await fs.writeFile(path, data.subarray(0, Math.floor(data.length * fraction)));
  return path;
}

/** Runs the bundled ffmpeg with the given arguments and fails with its stderr on a non-zero exit. */
export async function runFfmpeg(args: string[]): Promise<void> {
  const ff = spawn(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  ff.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(ff, 'close')) as [number | null];
  if (code !== 0) throw new Error(`ffmpeg ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
}

/** An MP4 with an AAC sine-tone audio track and no video stream. */
export async function makeAudioOnlyMp4(path: string, seconds = 1): Promise<string> {
  await runFfmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'aac', '-f', 'mp4', path]);
  return path;
}

/** An MP4 without faststart (moov at the end), as cameras and most encoders write it. */
export async function makeMoovAtEndMp4(path: string, frames = 30): Promise<string> {
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    `testsrc=size=160x120:rate=30`,
    '-frames:v',
    String(frames),
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    path,
  ]);
  return path;
}

/**
 * A copy of an MP4 with a stretch of its middle overwritten by random bytes: the container is
 * intact (same size, index present) but frames in the middle no longer decode cleanly.
 */
export async function makeCorruptedMidwayCopy(source: string, path: string, from = 0.5, to = 0.7): Promise<string> {
  const data = Buffer.from(await fs.readFile(source));
  const start = Math.floor(data.length * from);
  const end = Math.floor(data.length * to);
  randomBytes(end - start).copy(data, start);
  await fs.writeFile(path, data);
  return path;
}
