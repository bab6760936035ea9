import fs from 'node:fs/promises';
import path from 'node:path';
import { EXACT, ffmpeg } from './ffmpeg';
import { claimDuration, listBoxes, type Box } from './mp4-boxes';
import type { Rng } from './random';

/** What a recipe gets: its own random stream, a scratch directory and the file to write. */
export interface RecipeContext {
  rng: Rng;
  work: string;
  out: string;
}

export interface Recipe {
  kind: string;
  /** hostile: made to break things; unusual: a valid file real cameras and editors produce. */
  nature: 'hostile' | 'unusual';
  /** Writes ctx.out; returns a one-line description of the choices made (sizes, offsets...). */
  build(ctx: RecipeContext): Promise<string>;
}

const SOURCES = ['testsrc', 'testsrc2', 'smptebars', 'rgbtestsrc'] as const;

interface Clip {
  width: number;
  height: number;
  rate: number;
  seconds: number;
  source?: string;
  /** Output options after the input: codec, pixel format, filters. */
  codec?: string[];
  /** Extra input options before -i (e.g. a second input) are not needed by any recipe yet. */
  format?: string;
  faststart?: boolean;
}

const H264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

/** Encodes a synthetic clip; the sizes, rate and length come from the recipe. */
async function clip(file: string, c: Clip): Promise<void> {
  const src = `${c.source ?? 'testsrc'}=s=${c.width}x${c.height}:r=${c.rate}:d=${c.seconds}`;
  const movflags = c.faststart ? ['-movflags', '+faststart'] : [];
  const format = c.format ? ['-f', c.format] : [];
  await ffmpeg(['-f', 'lavfi', '-i', src, ...(c.codec ?? H264), ...EXACT, ...movflags, ...format, file]);
}

/** A random small, ordinary clip: the base that mutations and remuxes start from. */
async function baseClip(
  ctx: RecipeContext,
  name: string,
  overrides: Partial<Clip> = {},
): Promise<{ file: string; desc: string }> {
  const { rng } = ctx;
  const c: Clip = {
    width: rng.even(64, 480),
    height: rng.even(48, 320),
    rate: rng.int(5, 25),
    seconds: rng.int(1, 3),
    source: rng.pick(SOURCES),
    faststart: rng.chance(0.5),
    ...overrides,
  };
  const file = path.join(ctx.work, name);
  await clip(file, c);
  return {
    file,
    desc: `${c.source} ${c.width}x${c.height} ${c.rate}fps ${c.seconds}s${c.faststart ? ' faststart' : ''}`,
  };
}

/**
 * Segments encoded as raw Annex B H.264 and concatenated, then muxed into one MP4: the stream
 * carries new parameter sets mid-way (the issue's recipe for a resolution change).
 */
async function annexBChain(
  ctx: RecipeContext,
  segments: { clip: Clip; codec: string[] }[],
  fragmented: boolean,
): Promise<void> {
  const parts: Buffer[] = [];
  for (const [i, s] of segments.entries()) {
    const file = path.join(ctx.work, `seg${i}.h264`);
    await clip(file, { ...s.clip, codec: [...s.codec, '-bsf:v', 'h264_mp4toannexb'], format: 'h264' });
    parts.push(await fs.readFile(file));
  }
  const joined = path.join(ctx.work, 'joined.h264');
  await fs.writeFile(joined, Buffer.concat(parts));
  const rate = segments[0].clip.rate;
  const movflags = fragmented ? ['-movflags', 'frag_keyframe+empty_moov'] : [];
  await ffmpeg(['-r', String(rate), '-i', joined, '-c', 'copy', ...EXACT, ...movflags, ctx.out]);
}

function segmentDesc(segments: { clip: Clip; codec: string[] }[]): string {
  return segments
    .map(
      (s) =>
        `${s.clip.width}x${s.clip.height}${s.codec.includes('-pix_fmt') ? ` ${s.codec[s.codec.indexOf('-pix_fmt') + 1]}` : ''}${s.codec.find((a) => a.startsWith('setsar')) ? ` ${s.codec.find((a) => a.startsWith('setsar'))}` : ''}`,
    )
    .join(' -> ');
}

async function mutate(ctx: RecipeContext, fn: (data: Buffer, boxes: Box[]) => string): Promise<string> {
  const base = await baseClip(ctx, 'base.mp4');
  const data = Buffer.from(await fs.readFile(base.file));
  const what = fn(data, listBoxes(data));
  await fs.writeFile(ctx.out, data);
  return `${base.desc}; ${what}`;
}

function flipBits(rng: Rng, data: Buffer, from: number, to: number, count: number): number[] {
  const offsets: number[] = [];
  for (let i = 0; i < count && to > from; i++) {
    const at = rng.int(from, to - 1);
    data[at] ^= 1 << rng.int(0, 7);
    offsets.push(at);
  }
  return offsets.sort((a, b) => a - b);
}

const sizeOf = (rng: Rng) => ({ width: rng.even(96, 480), height: rng.even(64, 320) });

export const RECIPES: readonly Recipe[] = [
  {
    kind: 'plain',
    nature: 'unusual',
    async build(ctx) {
      const base = await baseClip(ctx, 'base.mp4');
      await fs.copyFile(base.file, ctx.out);
      return base.desc;
    },
  },
  {
    kind: 'resolution-change',
    nature: 'hostile',
    async build(ctx) {
      const { rng } = ctx;
      const rate = rng.int(5, 15);
      const n = rng.int(2, 4);
      const segments = Array.from({ length: n }, () => ({
        clip: { ...sizeOf(rng), rate, seconds: rng.int(1, 2), source: rng.pick(SOURCES) },
        codec: H264,
      }));
      const fragmented = rng.chance(0.25);
      await annexBChain(ctx, segments, fragmented);
      return `${segmentDesc(segments)} at ${rate}fps${fragmented ? ', fragmented' : ''}`;
    },
  },
  {
    kind: 'pixel-format-change',
    nature: 'hostile',
    async build(ctx) {
      const { rng } = ctx;
      const size = sizeOf(rng);
      const rate = rng.int(5, 15);
      const formats = ['yuv420p', 'yuv422p', 'yuv444p', 'yuv420p10le'];
      const a = rng.pick(formats);
      const b = rng.pick(formats.filter((f) => f !== a));
      const segments = [a, b].map((pixFmt) => ({
        clip: { ...size, rate, seconds: rng.int(1, 2), source: rng.pick(SOURCES) },
        codec: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', pixFmt],
      }));
      await annexBChain(ctx, segments, false);
      return segmentDesc(segments);
    },
  },
  {
    kind: 'aspect-change',
    nature: 'hostile',
    async build(ctx) {
      const { rng } = ctx;
      const size = sizeOf(rng);
      const rate = rng.int(5, 15);
      const sars = ['1/1', '4/3', '16/11', '40/33', '3/4', '2/1'];
      const a = rng.pick(sars);
      const b = rng.pick(sars.filter((s) => s !== a));
      const segments = [a, b].map((sar) => ({
        clip: { ...size, rate, seconds: rng.int(1, 2), source: rng.pick(SOURCES) },
        codec: [...H264, '-vf', `setsar=${sar}`],
      }));
      await annexBChain(ctx, segments, false);
      return segmentDesc(segments);
    },
  },
  {
    kind: 'variable-frame-rate',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      const size = sizeOf(rng);
      // Gaps of 1 to 300 ms between frames, from ffmpeg's own seeded random(0).
      const maxGap = rng.pick([0.05, 0.1, 0.3]);
      await ffmpeg([
        '-f',
        'lavfi',
        '-i',
        `testsrc=s=${size.width}x${size.height}:r=25:d=${rng.int(1, 3)}`,
        '-vf',
        `setpts='st(0,ld(0)+0.001+random(1)*${maxGap})/TB'`,
        '-vsync',
        '0',
        ...H264,
        ...EXACT,
        ctx.out,
      ]);
      return `${size.width}x${size.height}, frame gaps up to ${maxGap * 1000} ms`;
    },
  },
  {
    kind: 'edit-list',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      // Cutting with -c copy from a point that is not a keyframe writes an edit list that skips
      // the decoded lead-in; B-frames add a composition offset on top.
      const base = await baseClip(ctx, 'base.mp4', {
        seconds: 3,
        codec: [...H264, '-g', String(rng.int(10, 40)), '-bf', String(rng.int(0, 3))],
      });
      const from = (rng.int(3, 20) / 10).toFixed(1);
      await ffmpeg(['-ss', from, '-i', base.file, '-c', 'copy', ...EXACT, ctx.out]);
      return `${base.desc}, copy-cut from ${from}s`;
    },
  },
  {
    kind: 'negative-timestamps',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      const base = await baseClip(ctx, 'base.mp4', { codec: [...H264, '-bf', String(rng.int(1, 3))] });
      const offset = (-rng.int(1, 15) / 10).toFixed(1);
      await ffmpeg([
        '-itsoffset',
        offset,
        '-i',
        base.file,
        '-c',
        'copy',
        '-avoid_negative_ts',
        'disabled',
        ...EXACT,
        ctx.out,
      ]);
      return `${base.desc}, shifted ${offset}s, negative timestamps kept`;
    },
  },
  {
    kind: 'b-frames',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      const bf = rng.int(3, 16);
      const base = await baseClip(ctx, 'base.mp4', {
        codec: [
          '-c:v',
          'libx264',
          '-preset',
          'medium',
          '-pix_fmt',
          'yuv420p',
          '-bf',
          String(bf),
          '-x264-params',
          `b-pyramid=${rng.pick(['normal', 'strict', 'none'])}:b-adapt=0`,
        ],
      });
      await fs.copyFile(base.file, ctx.out);
      return `${base.desc}, ${bf} B-frames`;
    },
  },
  {
    kind: 'rotation',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      const base = await baseClip(ctx, 'base.mp4');
      const angle = rng.pick(['90', '180', '270', '45', '-90']);
      await ffmpeg([
        '-i',
        base.file,
        '-c',
        'copy',
        '-metadata:s:v:0',
        `rotate=${angle}`,
        ...EXACT.filter((a) => a !== '-map_metadata' && a !== '-1'),
        ctx.out,
      ]);
      return `${base.desc}, rotate=${angle}`;
    },
  },
  {
    kind: 'odd-size',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      const width = rng.int(17, 400) | 1;
      const height = rng.int(17, 300) | 1;
      const codec = rng.pick([
        ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p'],
        ['-c:v', 'libx265', '-pix_fmt', 'yuv444p', '-x265-params', 'log-level=error'],
        ['-c:v', 'mjpeg', '-pix_fmt', 'yuvj444p'],
        // MPEG-4 part 2 takes odd sizes in 4:2:0 (x264 and x265 refuse them).
        ['-c:v', 'mpeg4', '-pix_fmt', 'yuv420p'],
      ]);
      await clip(ctx.out, { width, height, rate: 10, seconds: 1, codec });
      return `${width}x${height} ${codec[1]} ${codec[codec.indexOf('-pix_fmt') + 1]}`;
    },
  },
  {
    kind: 'tiny',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      const side = rng.pick([2, 4, 8, 16, 32]);
      const [width, height] = rng.pick([
        [side, side],
        [side, 2],
        [2, side],
      ]);
      await clip(ctx.out, {
        width,
        height,
        rate: 10,
        seconds: 1,
        codec: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p'],
      });
      return `${width}x${height}`;
    },
  },
  {
    kind: 'huge-dimensions',
    nature: 'hostile',
    async build(ctx) {
      const { rng } = ctx;
      const [width, height] = rng.pick([
        [8192, 8192],
        [8192, 4352],
        [7680, 4320],
        [16384, 64],
        [64, 16384],
        [3840, 2160],
      ]);
      // A flat colour encodes to a few KB however large the frame.
      await ffmpeg([
        '-f',
        'lavfi',
        '-i',
        `color=c=${rng.pick(['red', 'gray', 'navy'])}:s=${width}x${height}:r=5:d=${rng.int(1, 2)}`,
        ...H264,
        '-x264-params',
        'log-level=none',
        ...EXACT,
        ctx.out,
      ]);
      return `${width}x${height}`;
    },
  },
  {
    kind: 'long-duration',
    nature: 'hostile',
    async build(ctx) {
      const { rng } = ctx;
      // Seven hours (over the 6 h limit) at one frame a minute: 420 real frames in a few KB.
      const hours = rng.pick([7, 8, 25]);
      await ffmpeg(['-f', 'lavfi', '-i', `color=c=black:s=32x32:r=1/60:d=${hours * 3600}`, ...H264, ...EXACT, ctx.out]);
      return `${hours} h of 32x32 at one frame a minute`;
    },
  },
  {
    kind: 'claimed-duration',
    nature: 'hostile',
    async build(ctx) {
      const { rng } = ctx;
      const base = await baseClip(ctx, 'base.mp4');
      const seconds = rng.pick([7 * 3600, 100 * 3600, 4_000_000]);
      await fs.writeFile(ctx.out, claimDuration(await fs.readFile(base.file), seconds));
      return `${base.desc}; headers claim ${seconds} s`;
    },
  },
  {
    kind: '10-bit',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      const codec = rng.chance(0.5)
        ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', rng.pick(['yuv420p10le', 'yuv422p10le'])]
        : ['-c:v', 'libx265', '-pix_fmt', 'yuv420p10le', '-x265-params', 'log-level=error'];
      const base = await baseClip(ctx, 'base.mp4', { codec });
      await fs.copyFile(base.file, ctx.out);
      return `${base.desc} ${codec[1]} ${codec[codec.indexOf('-pix_fmt') + 1]}`;
    },
  },
  {
    kind: 'hevc',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      const tag = rng.pick(['hvc1', 'hev1']);
      const base = await baseClip(ctx, 'base.mp4', {
        codec: ['-c:v', 'libx265', '-pix_fmt', 'yuv420p', '-tag:v', tag, '-x265-params', 'log-level=error'],
      });
      await fs.copyFile(base.file, ctx.out);
      return `${base.desc} HEVC ${tag}`;
    },
  },
  {
    kind: 'other-codec',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      const codec = rng.pick([
        ['-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(rng.int(2, 20))],
        ['-c:v', 'mpeg4', '-q:v', String(rng.int(2, 20))],
        ['-c:v', 'libx264rgb', '-preset', 'ultrafast', '-pix_fmt', 'bgr24'],
        ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'gray'],
        ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-b:v', '200k', '-strict', 'experimental'],
      ]);
      const base = await baseClip(ctx, 'base.mp4', { codec });
      await fs.copyFile(base.file, ctx.out);
      const pixFmt = codec.includes('-pix_fmt') ? ` ${codec[codec.indexOf('-pix_fmt') + 1]}` : '';
      return `${base.desc} ${codec[1]}${pixFmt}`;
    },
  },
  {
    kind: 'interlaced',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      // Interlaced 4:2:0 needs a height divisible by 4 (each field is 4:2:0 on its own).
      const base = await baseClip(ctx, 'base.mp4', {
        height: rng.int(12, 80) * 4,
        codec: [
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-pix_fmt',
          'yuv420p',
          '-flags',
          '+ilme+ildct',
          '-x264-params',
          rng.pick(['tff=1', 'bff=1']),
        ],
      });
      await fs.copyFile(base.file, ctx.out);
      return `${base.desc}, interlaced`;
    },
  },
  {
    kind: 'fragmented',
    nature: 'unusual',
    async build(ctx) {
      const base = await baseClip(ctx, 'base.mp4');
      await ffmpeg([
        '-i',
        base.file,
        '-c',
        'copy',
        '-movflags',
        ctx.rng.pick(['frag_keyframe+empty_moov', 'frag_keyframe+empty_moov+default_base_moof', 'dash']),
        ...EXACT,
        ctx.out,
      ]);
      return `${base.desc}, fragmented`;
    },
  },
  {
    kind: 'two-video-tracks',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      const a = await baseClip(ctx, 'a.mp4');
      const b = await baseClip(ctx, 'b.mp4');
      await ffmpeg(['-i', a.file, '-i', b.file, '-map', '0:v', '-map', '1:v', '-c', 'copy', ...EXACT, ctx.out]);
      void rng;
      return `${a.desc} + ${b.desc}`;
    },
  },
  {
    kind: 'with-audio',
    nature: 'unusual',
    async build(ctx) {
      const { rng } = ctx;
      const base = await baseClip(ctx, 'base.mp4');
      const audioSeconds = rng.int(1, 6);
      await ffmpeg([
        '-i',
        base.file,
        '-f',
        'lavfi',
        '-i',
        `sine=frequency=440:duration=${audioSeconds}`,
        '-c:v',
        'copy',
        '-c:a',
        'aac',
        ...EXACT,
        '-flags:a',
        '+bitexact',
        ctx.out,
      ]);
      return `${base.desc} + ${audioSeconds}s of audio`;
    },
  },
  {
    kind: 'audio-only',
    nature: 'hostile',
    async build(ctx) {
      const seconds = ctx.rng.int(1, 3);
      await ffmpeg([
        '-f',
        'lavfi',
        '-i',
        `sine=frequency=440:duration=${seconds}`,
        '-c:a',
        'aac',
        ...EXACT,
        '-flags:a',
        '+bitexact',
        ctx.out,
      ]);
      return `${seconds}s AAC, no video`;
    },
  },
  {
    kind: 'zero-frames',
    nature: 'hostile',
    async build(ctx) {
      // A video track with no samples: the muxer writes the header and an empty sample table.
      await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=s=160x120:r=10:d=1', '-frames:v', '0', ...H264, ...EXACT, ctx.out]);
      return '160x120 track with no samples';
    },
  },
  {
    kind: 'single-frame',
    nature: 'unusual',
    async build(ctx) {
      const size = sizeOf(ctx.rng);
      await ffmpeg([
        '-f',
        'lavfi',
        '-i',
        `testsrc=s=${size.width}x${size.height}:r=10:d=1`,
        '-frames:v',
        '1',
        ...H264,
        ...EXACT,
        ctx.out,
      ]);
      return `${size.width}x${size.height}, one frame`;
    },
  },
  {
    kind: 'high-frame-rate',
    nature: 'unusual',
    async build(ctx) {
      const rate = ctx.rng.pick([120, 240, 480, 1000]);
      await clip(ctx.out, { width: 64, height: 48, rate, seconds: 1 });
      return `64x48 at ${rate}fps`;
    },
  },
  {
    kind: 'truncated',
    nature: 'hostile',
    async build(ctx) {
      const base = await baseClip(ctx, 'base.mp4');
      const data = await fs.readFile(base.file);
      const cut = ctx.rng.int(0, data.length - 1);
      await fs.writeFile(ctx.out, data.subarray(0, cut));
      return `${base.desc}; cut at byte ${cut} of ${data.length}`;
    },
  },
  {
    kind: 'moov-bit-flips',
    nature: 'hostile',
    async build(ctx) {
      return mutate(ctx, (data, boxes) => {
        const moov = boxes.find((b) => b.type === 'moov');
        if (!moov) throw new Error('base clip has no moov');
        const count = ctx.rng.int(1, 12);
        const at = flipBits(ctx.rng, data, moov.payload, moov.end, count);
        return `${count} bit flips in moov at ${at.join(',')}`;
      });
    },
  },
  {
    kind: 'mdat-bit-flips',
    nature: 'hostile',
    async build(ctx) {
      return mutate(ctx, (data, boxes) => {
        const mdat = boxes.find((b) => b.type === 'mdat');
        if (!mdat) throw new Error('base clip has no mdat');
        const count = ctx.rng.int(1, 200);
        flipBits(ctx.rng, data, mdat.payload, mdat.end, count);
        return `${count} bit flips in mdat (${mdat.end - mdat.payload} bytes)`;
      });
    },
  },
  {
    kind: 'box-size',
    nature: 'hostile',
    async build(ctx) {
      const { rng } = ctx;
      return mutate(ctx, (data, boxes) => {
        const box = rng.pick(boxes);
        const size = box.end - box.start;
        const value =
          rng.pick([
            0,
            1,
            7,
            8,
            0xffffffff,
            0x7fffffff,
            size - 1,
            size + 1,
            size * 2,
            data.length + 1,
            rng.int(0, 0xffffffff),
          ]) >>> 0;
        data.writeUInt32BE(value, box.start);
        return `${box.type} at ${box.start} size ${size} -> ${value}`;
      });
    },
  },
  {
    kind: 'random-bytes',
    nature: 'hostile',
    async build(ctx) {
      const { rng } = ctx;
      // An ftyp box (passes the upload's magic check) and then noise, or a valid head and a noisy tail.
      const base = await baseClip(ctx, 'base.mp4', { faststart: true });
      const data = Buffer.from(await fs.readFile(base.file));
      const keep = rng.chance(0.5) ? 24 : rng.int(24, data.length - 1);
      for (let i = keep; i < data.length; i++) data[i] = rng.int(0, 255);
      await fs.writeFile(ctx.out, data);
      return `${base.desc}; random bytes from ${keep}`;
    },
  },
];

export const KINDS = RECIPES.map((r) => r.kind);

/** File `index` of a corpus is recipe `index mod number of recipes`, so every count covers every kind evenly. */
export function recipeFor(index: number, only?: readonly string[]): Recipe {
  const pool = only?.length ? RECIPES.filter((r) => only.includes(r.kind)) : RECIPES;
  if (pool.length === 0) throw new Error(`no recipe named ${only?.join(', ')}; known: ${KINDS.join(', ')}`);
  return pool[index % pool.length];
}
