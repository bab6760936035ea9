import { readFile, rm, writeFile } from 'node:fs/promises';
import { runFfmpeg } from './corrupt-files';

/**
 * Videos that are valid but hostile (or merely unlucky), from issue 16: streams that change
 * resolution, pixel format or aspect ratio mid-stream, frames too large, a duration too long, and
 * the odd ones that must keep working. All small and quick to make with the bundled ffmpeg.
 */

/** Encodes a raw H.264 (Annex B) segment of a lavfi test source. */
async function h264Segment(path: string, source: string, extra: string[] = []): Promise<string> {
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    source,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    ...extra,
    '-bsf:v',
    'h264_mp4toannexb',
    '-f',
    'h264',
    path,
  ]);
  return path;
}

/** Two H.264 segments back to back in one MP4 stream at 10 fps: the second's parameters take over at 2 s. */
async function splice(
  path: string,
  a: { source: string; extra?: string[] },
  b: { source: string; extra?: string[] },
): Promise<string> {
  const first = await h264Segment(`${path}.a.h264`, a.source, a.extra);
  const second = await h264Segment(`${path}.b.h264`, b.source, b.extra);
  const joined = `${path}.ab.h264`;
  await writeFile(joined, Buffer.concat([await readFile(first), await readFile(second)]));
  try {
    await runFfmpeg(['-r', '10', '-i', joined, '-c', 'copy', path]);
  } finally {
    await Promise.all([first, second, joined].map((f) => rm(f, { force: true })));
  }
  return path;
}

/** The recipe: 640x360 for 2 s, then 1280x720 for 2 s (40 frames). */
export const makeResolutionChangeMp4 = (path: string) =>
  splice(path, { source: 'testsrc=s=640x360:d=2:r=10' }, { source: 'testsrc2=s=1280x720:d=2:r=10' });

/** yuv420p for 2 s, then yuv444p at the same size. */
export const makePixelFormatChangeMp4 = (path: string) =>
  splice(
    path,
    { source: 'testsrc=s=320x240:d=2:r=10', extra: ['-pix_fmt', 'yuv420p'] },
    { source: 'testsrc2=s=320x240:d=2:r=10', extra: ['-pix_fmt', 'yuv444p'] },
  );

/** 640x360 square pixels for 2 s, then 480x360 with 4:3 pixels (another frame and pixel aspect). */
export const makeAspectChangeMp4 = (path: string) =>
  splice(path, { source: 'testsrc=s=640x360:d=2:r=10' }, { source: 'testsrc2=s=480x360:d=2:r=10,setsar=4/3' });

/** An H.264 clip of `frames` frames at width x height (8192x8192: about 200 KB for 2 frames). */
export async function makeSizedMp4(
  path: string,
  width: number,
  height: number,
  options: { frames?: number; codec?: string; pixFmt?: string; extra?: string[]; pattern?: 'testsrc' | 'color' } = {},
): Promise<string> {
  // `color` (one flat frame) encodes several times faster than `testsrc` at 8192x8192.
  const { frames = 2, codec = 'libx264', pixFmt = 'yuv420p', extra = [], pattern = 'testsrc' } = options;
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    `${pattern}=s=${width}x${height}:r=10`,
    '-frames:v',
    String(frames),
    '-c:v',
    codec,
    ...(codec === 'libx264' || codec === 'libx265' ? ['-preset', 'ultrafast'] : []),
    '-pix_fmt',
    pixFmt,
    ...extra,
    path,
  ]);
  return path;
}

/** 25 frames one every 1000 s: a 6 h 56 min video in under 2 KB. */
export async function makeLongDurationMp4(path: string): Promise<string> {
  await runFfmpeg([
    '-f',
    'lavfi',
    '-i',
    'color=s=64x64:r=1/1000:d=25000',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    path,
  ]);
  return path;
}

/** A 1 s clip shifted 1 s into negative time, negative timestamps kept: the index lists 10 frames, none shown. */
export async function makeNegativeTimelineMp4(path: string): Promise<string> {
  const base = await makeSizedMp4(`${path}.base.mp4`, 160, 120, { frames: 10 });
  try {
    await runFfmpeg(['-itsoffset', '-1.0', '-i', base, '-c', 'copy', '-avoid_negative_ts', 'disabled', path]);
  } finally {
    await rm(base, { force: true });
  }
  return path;
}
