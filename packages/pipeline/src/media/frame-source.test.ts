import path from 'node:path';
import { UnsupportedMediaError, VideoLimitError } from '@video-jobs/core/errors';
import {
  isProcessAlive,
  makeAudioOnlyMp4,
  makeCorruptedMidwayCopy,
  makeAspectChangeMp4,
  makeEmptyFile,
  makeLongDurationMp4,
  makeNegativeTimelineMp4,
  makePixelFormatChangeMp4,
  makeResolutionChangeMp4,
  makeSizedMp4,
  makeMoovAtEndMp4,
  makeRandomFtypFile,
  makeTempDir,
  makeTestVideo,
  makeTruncatedCopy,
  samplePath,
} from '../test-support';
import type { Frame } from '../types';
import { FrameSource, type FrameReadOptions } from './frame-source';

const source = new FrameSource();
let tmp: { dir: string; remove: () => Promise<void> };
let video30: string; // 30 frames, 320x240, 30 fps; frame i has background grey level 8 * i
let long: string; // 300 frames

const collect = async (file: string, options: Partial<FrameReadOptions> = {}) => {
  const frames: Frame[] = [];
  for await (const f of source.frames(file, { frameStride: 1, maxFrames: null, ...options })) frames.push(f);
  return frames;
};

/** Mean of the red channel over the top-left 16x16 corner: the generated background level. */
const cornerLevel = (f: Frame) => {
  let sum = 0;
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) sum += f.data[(y * f.width + x) * 3];
  return sum / 256;
};

beforeAll(async () => {
  tmp = await makeTempDir();
  const grey = (i: number) => `rgb(${8 * i},${8 * i},${8 * i})`;
  video30 = await makeTestVideo({ path: path.join(tmp.dir, 'v30.mp4'), frames: 30, background: grey, text: 'EXIT 42' });
  long = await makeTestVideo({ path: path.join(tmp.dir, 'long.mp4'), frames: 300, width: 640, height: 360 });
});

afterAll(() => tmp.remove());

describe(FrameSource.name, () => {
  describe('probe', () => {
    it('reads width, height, fps, frame count and duration', async () => {
      expect(await source.probe(video30)).toEqual({
        width: 320,
        height: 240,
        fps: 30,
        frameCount: 30,
        durationMs: 1000,
        startMs: 0,
        codec: 'h264',
        pixFmt: 'yuv420p',
      });
    });

    it('reads the 1080p sample', async () => {
      expect(await source.probe(samplePath('chickens.mp4'))).toMatchObject({
        width: 1920,
        height: 1080,
        fps: 30,
        frameCount: 354,
      });
    });
  });

  describe('frames', () => {
    it('gives every frame with its source index and presentation time', async () => {
      const frames = await collect(video30);
      expect(frames.map((f) => f.index)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect(frames[1].timestampMs).toBe(33);
      expect(frames[29].timestampMs).toBe(967);
      expect(frames[0]).toMatchObject({ width: 320, height: 240 });
      expect(frames[0].data.length).toBe(320 * 240 * 3);
    });

    it('reads every frame of a real video at stride 1 to its end without an error (the sample traffic camera, 344 frames)', async () => {
      const frames = await collect(samplePath('traffic_cam_timestamp.mp4'), { fitWithin: { width: 160, height: 160 } });
      expect(frames).toHaveLength(344);
      expect(frames[343].index).toBe(343);
    });

    it('selects every 7th frame of 30: 0, 7, 14, 21, 28', async () => {
      const frames = await collect(video30, { frameStride: 7 });
      expect(frames.map((f) => f.index)).toEqual([0, 7, 14, 21, 28]);
      expect(frames.map((f) => f.timestampMs)).toEqual([0, 233, 467, 700, 933]);
    });

    it('stops after max_frames: stride 7, max 2 gives 0, 7', async () => {
      expect((await collect(video30, { frameStride: 7, maxFrames: 2 })).map((f) => f.index)).toEqual([0, 7]);
    });

    it('delivers the pixels of the frame it names (not a neighbour)', async () => {
      const frames = await collect(video30, { frameStride: 7 });
      for (const f of frames) expect(Math.abs(cornerLevel(f) - 8 * f.index)).toBeLessThan(3);
    });

    it('lets ffmpeg shrink frames to fit a box, keeping the aspect', async () => {
      const [f] = await collect(video30, { maxFrames: 1, fitWithin: { width: 160, height: 160 } });
      expect(f).toMatchObject({ width: 160, height: 120 });
      expect(f.data.length).toBe(160 * 120 * 3);
    });

    it('never scales up', async () => {
      const [f] = await collect(video30, { maxFrames: 1, fitWithin: { width: 1000, height: 1000 } });
      expect(f).toMatchObject({ width: 320, height: 240 });
    });

    it('rejects a stride below 1 before starting ffmpeg', async () => {
      await expect(collect(video30, { frameStride: 0 })).rejects.toThrow(RangeError);
    });
  });

  describe('stopping', () => {
    it('leaves no ffmpeg process after the consumer stops at 2 frames of a long video', async () => {
      const pids: number[] = [];
      let n = 0;
      for await (const f of source.frames(long, { frameStride: 1, maxFrames: null })) {
        pids.push(...source.running);
        if (++n === 2) break;
        expect(f.index).toBe(0);
      }
      expect(pids.length).toBeGreaterThan(0);
      expect(source.running.size).toBe(0);
      for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
    });

    it('leaves no ffmpeg process when the consumer throws', async () => {
      let pid = 0;
      const run = async () => {
        for await (const _ of source.frames(long, { frameStride: 1, maxFrames: null })) {
          pid = [...source.running][0];
          throw new Error('consumer failed');
        }
      };
      await expect(run()).rejects.toThrow('consumer failed');
      expect(pid).toBeGreaterThan(0);
      expect(isProcessAlive(pid)).toBe(false);
    });

    it('stops and kills ffmpeg when the signal aborts', async () => {
      const controller = new AbortController();
      let pid = 0;
      const run = async () => {
        for await (const _ of source.frames(long, { frameStride: 1, maxFrames: null, signal: controller.signal })) {
          pid = [...source.running][0];
          controller.abort();
        }
      };
      await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
      expect(isProcessAlive(pid)).toBe(false);
    });

    it('holds ffmpeg back while the consumer is slow, instead of buffering the video', async () => {
      const frames = source.frames(long, { frameStride: 1, maxFrames: null, bufferFrames: 2 });
      await frames.next();
      const pid = [...source.running][0];
      const rssBefore = process.memoryUsage().rss;
      await new Promise((r) => setTimeout(r, 1500));
      // 300 frames of 640x360 are 207 MB of pixels: had ffmpeg not been held back it would be done.
      expect(isProcessAlive(pid)).toBe(true);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(30 * 1024 * 1024);
      await frames.return(undefined);
      expect(isProcessAlive(pid)).toBe(false);
    });
  });

  describe('bad videos', () => {
    const cases: Array<[string, (dir: string) => Promise<string>, RegExp]> = [
      ['a zero-byte file', (d) => makeEmptyFile(path.join(d, 'empty.mp4')), /^file is empty$/],
      [
        'random bytes behind an ftyp header',
        (d) => makeRandomFtypFile(path.join(d, 'random.mp4')),
        /moov atom not found/,
      ],
      ['a JPEG renamed .mp4', async () => samplePath('dogs2.jpg'), /^not an MP4/],
      [
        'an MP4 cut in half (moov at the end)',
        async (d) => makeTruncatedCopy(await makeMoovAtEndMp4(path.join(d, 'm.mp4')), path.join(d, 'half-m.mp4')),
        /^file is truncated: moov atom not found$/,
      ],
      [
        'an MP4 cut in half (faststart)',
        async (d) => makeTruncatedCopy(video30, path.join(d, 'half-f.mp4')),
        /^file is truncated/,
      ],
      ['an audio-only MP4', (d) => makeAudioOnlyMp4(path.join(d, 'audio.mp4')), /^no video stream/],
      [
        'an MP4 whose middle frames are damaged',
        (d) => makeCorruptedMidwayCopy(long, path.join(d, 'damaged.mp4')),
        /^could not decode video/,
      ],
    ];

    it.each(cases)('refuses %s with an UnsupportedMediaError a user understands', async (_name, make, message) => {
      const file = await make(tmp.dir);
      const error = await collect(file).then(
        () => new Error('read succeeded'),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnsupportedMediaError);
      expect((error as Error).message).toMatch(message);
      expect(source.running.size).toBe(0);
    });
  });

  describe('hostile media (issue 16)', () => {
    const make = (name: string, fn: (p: string) => Promise<string>) => fn(path.join(tmp.dir, name));

    it.each([
      ['resolution', 'res.mp4', makeResolutionChangeMp4, { width: 640, height: 360 }],
      ['pixel format', 'fmt.mp4', makePixelFormatChangeMp4, { width: 320, height: 240 }],
      ['aspect ratio', 'aspect.mp4', makeAspectChangeMp4, { width: 640, height: 360 }],
    ] as const)(
      "gives every frame of a video whose %s changes mid-stream, all at the first frame's size",
      async (_what, name, fn, size) => {
        const file = await make(name, fn);
        const frames = await collect(file);
        expect(frames.length).toBeGreaterThanOrEqual(38);
        expect(frames.map((f) => f.index)).toEqual(frames.map((_, i) => i));
        for (const f of frames)
          expect([f.width, f.height, f.data.length]).toEqual([size.width, size.height, size.width * size.height * 3]);
        // The frames after the change carry the second clip's picture, scaled, not a stale or blank frame.
        expect(frames[30].data.equals(frames[10].data)).toBe(false);
        const strided = await collect(file, { frameStride: 3, fitWithin: { width: 416, height: 416 } });
        expect(strided.map((f) => f.index)).toEqual(strided.map((_, i) => 3 * i));
        expect(strided.length).toBe(Math.ceil(frames.length / 3));
      },
    );

    it('gives the same fitted pixels whether or not the full frame comes beside them', async () => {
      const file = await make('res2.mp4', makeResolutionChangeMp4);
      const box = { width: 416, height: 416 };
      const alone = await collect(file, { frameStride: 5, fitWithin: box });
      const beside = await collect(file, { frameStride: 5, alsoFitWithin: box });
      expect(beside.map((f) => [f.width, f.height])).toEqual(alone.map(() => [640, 360]));
      beside.forEach((f, i) => {
        expect([f.fitted!.width, f.fitted!.height]).toEqual([416, 234]);
        expect(f.fitted!.data.equals(alone[i].data)).toBe(true);
      });
    });

    it('refuses frames over MAX_VIDEO_PIXELS at the probe, before decoding (8192x8192)', async () => {
      const file = await make('huge.mp4', (p) => makeSizedMp4(p, 8192, 8192));
      const error = await collect(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VideoLimitError);
      expect((error as Error).message).toMatch(
        /8192x8192 \(67108864 pixels\), over the limit of 33177600 pixels \(MAX_VIDEO_PIXELS\)/,
      );
      expect(source.running.size).toBe(0);
    });

    it('fails, without hanging, a video whose frames grow past MAX_VIDEO_PIXELS mid-stream', async () => {
      const file = await make('grow.mp4', makeResolutionChangeMp4);
      const small = new FrameSource({ limits: { maxPixels: 640 * 360, maxSeconds: 3600 } });
      const read = async () => {
        for await (const _ of small.frames(file, { frameStride: 1, maxFrames: null })) void _;
      };
      await expect(read()).rejects.toThrow(UnsupportedMediaError);
      expect(small.running.size).toBe(0);
    });

    it('refuses a video longer than MAX_VIDEO_SECONDS with the limit in the message', async () => {
      const file = await make('long.mp4', makeLongDurationMp4);
      await expect(collect(file)).rejects.toThrow(
        /lasts 6\.94 h \(25000 s\), over the limit of 6\.00 h \(21600 s\) \(MAX_VIDEO_SECONDS\)/,
      );
    });

    it('says a video whose timestamps put every frame before the start shows no frame, not that it is truncated', async () => {
      const file = await make('negative.mp4', makeNegativeTimelineMp4);
      const error = await collect(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnsupportedMediaError);
      expect((error as Error).message).toBe(
        'no frame to analyse: the file lists 10 frames, but its timestamps place all of them before the start (the video lasts 0 s)',
      );
      expect(source.running.size).toBe(0);
    });

    it.each([
      ['an odd 641x361 frame', 'odd.mp4', (p: string) => makeSizedMp4(p, 641, 361, { pixFmt: 'yuv444p' }), [641, 361]],
      ['10-bit H.264', 'ten.mp4', (p: string) => makeSizedMp4(p, 320, 240, { pixFmt: 'yuv420p10le' }), [320, 240]],
      [
        'HEVC',
        'hevc.mp4',
        (p: string) => makeSizedMp4(p, 320, 240, { codec: 'libx265', extra: ['-x265-params', 'log-level=error'] }),
        [320, 240],
      ],
      [
        'MJPEG',
        'mjpeg.mp4',
        (p: string) => makeSizedMp4(p, 320, 240, { codec: 'mjpeg', pixFmt: 'yuvj420p' }),
        [320, 240],
      ],
      [
        'rotation metadata',
        'rot.mp4',
        (p: string) => makeSizedMp4(p, 320, 240, { extra: ['-metadata:s:v:0', 'rotate=90'] }),
        [320, 240],
      ],
      ['a 16x16 frame', 'tiny.mp4', (p: string) => makeSizedMp4(p, 16, 16), [16, 16]],
    ] as const)('still reads %s', async (_what, name, fn, [width, height]) => {
      const frames = await collect(await make(name, fn));
      expect(frames).toHaveLength(2);
      for (const f of frames) expect([f.width, f.height, f.data.length]).toEqual([width, height, width * height * 3]);
    });
  });

  describe('binaries', () => {
    it('fails clearly, without hanging, when ffmpeg cannot be started', async () => {
      const broken = new FrameSource({ ffmpegPath: '/nonexistent/ffmpeg' });
      await expect(
        (async () => {
          for await (const _ of broken.frames(video30, { frameStride: 1, maxFrames: null })) void _;
        })(),
      ).rejects.toThrow(/ENOENT/);
    });
  });
});
