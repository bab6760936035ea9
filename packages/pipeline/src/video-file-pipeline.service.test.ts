/**
 * @jest-environment <rootDir>/packages/pipeline/src/test-support/onnxruntime-environment.js
 */
import path from 'node:path';
import { UnsupportedMediaError, ValidationError } from '@video-jobs/core/errors';
import { YoloDetector } from './detector/yolo-detector';
import { FrameSource } from './media/frame-source';
import { TesseractOcr } from './ocr/tesseract-ocr';
import { PIPELINES } from './pipeline-registry';
import { createPipelineService } from './pipeline-service.factory';
import {
  inkBox,
  isProcessAlive,
  makeCorruptedMidwayCopy,
  makeEmptyFile,
  makeTempDir,
  makeTestVideo,
  makeTextImage,
  runFfmpeg,
  samplePath,
  testModelPath,
} from './test-support';
import type { Box, Detection, TextLine } from './types';
import { VideoFilePipelineService, type FrameResult, type PipelineRunParams } from './video-file-pipeline.service';

let tmp: { dir: string; remove: () => Promise<void> };
let frames: FrameSource;
let detector: YoloDetector;
let ocr: TesseractOcr;
let service: VideoFilePipelineService;
const video: Record<string, string> = {};

const run = async (file: string, params: Partial<PipelineRunParams> = {}, svc = service, signal?: AbortSignal) => {
  const out: FrameResult[] = [];
  for await (const r of svc.runOnFile(file, { pipelineId: 'yolo', frameStride: 1, maxFrames: null, ...params }, signal))
    out.push(r);
  return out;
};

const contains = (outer: Box, inner: Box, slack: number) =>
  outer[0] <= inner[0] + slack &&
  outer[1] <= inner[1] + slack &&
  outer[2] >= inner[2] - slack &&
  outer[3] >= inner[3] - slack;

beforeAll(async () => {
  tmp = await makeTempDir();
  const p = (name: string) => path.join(tmp.dir, name);
  video.thirty = await makeTestVideo({ path: p('thirty.mp4'), frames: 30 });
  video.sign = await makeTestVideo({ path: p('sign.mp4'), frames: 3, width: 640, height: 360, text: 'EXIT 42 WEST' });
  video.still = await makeTestVideo({
    path: p('still.mp4'),
    frames: 5,
    width: 640,
    height: 360,
    text: 'GATE 7',
    moving: false,
  });
  video.long = await makeTestVideo({ path: p('long.mp4'), frames: 300, width: 640, height: 360 });
  // A real scene: people.jpg (768x512) held for 3 frames.
  video.people = p('people.mp4');
  await runFfmpeg([
    '-loop',
    '1',
    '-i',
    samplePath('people.jpg'),
    '-frames:v',
    '3',
    '-r',
    '30',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-pix_fmt',
    'yuv420p',
    video.people,
  ]);
  frames = new FrameSource();
  detector = await YoloDetector.create({ modelPath: testModelPath(), threads: 1 });
  ocr = await TesseractOcr.create({ workers: 1 });
  service = new VideoFilePipelineService({ frames, detector, ocr });
}, 60_000);

afterAll(async () => {
  await service?.close();
  await tmp?.remove();
});

describe(VideoFilePipelineService.name, () => {
  it('lists the registered pipelines', () => {
    expect(service.pipelineIds()).toEqual(['yolo_ocr', 'yolo', 'ocr', 'yolo_track']);
  });

  describe('frame selection', () => {
    it('gives frame_index 0, 7, 14, 21, 28 for 30 frames with stride 7', async () => {
      expect((await run(video.thirty, { frameStride: 7 })).map((r) => r.frame_index)).toEqual([0, 7, 14, 21, 28]);
    });

    it('gives 0, 7 with stride 7 and max_frames 2', async () => {
      expect((await run(video.thirty, { frameStride: 7, maxFrames: 2 })).map((r) => r.frame_index)).toEqual([0, 7]);
    });
  });

  describe('results', () => {
    it('yolo: {frame_index, result: {timestamp_ms, detections}} with boxes in source pixels', async () => {
      const results = await run(video.people, { pipelineId: 'yolo' });
      expect(results).toHaveLength(3);
      for (const r of results) {
        expect(Object.keys(r)).toEqual(['frame_index', 'result']);
        expect(Object.keys(r.result)).toEqual(['timestamp_ms', 'detections']);
      }
      expect(results.map((r) => r.result.timestamp_ms)).toEqual([0, 33, 67]);
      const detections = results[0].result.detections as Detection[];
      const people = detections.filter((d) => d.label === 'person');
      expect(people.length).toBeGreaterThanOrEqual(5);
      for (const d of detections) {
        expect(Object.keys(d)).toEqual(['label', 'class_id', 'confidence', 'box']);
        expect(d.box[2]).toBeLessThanOrEqual(768);
        expect(d.box[3]).toBeLessThanOrEqual(512);
        expect(d.confidence).toBe(Math.round(d.confidence * 1e4) / 1e4);
        for (const v of d.box) expect(v).toBe(Math.round(v * 10) / 10);
      }
    });

    it('gives identical detections, byte for byte, on the same frames in every detecting pipeline', async () => {
      const detecting = PIPELINES.filter((d) => d.stages.includes('detect')).map((d) => d.id);
      expect(detecting.length).toBeGreaterThanOrEqual(2);
      // A tracking pipeline adds track_id to each detection; the detections themselves must match.
      const detectionsOf = (results: FrameResult[]) =>
        JSON.stringify(
          results.map((r) => [
            r.frame_index,
            (r.result.detections as Array<Record<string, unknown>>).map(({ track_id: _, ...d }) => d),
          ]),
        );
      for (const file of [video.people, samplePath('chickens.mp4')]) {
        const params = { frameStride: 40, maxFrames: 3 };
        const byPipeline = new Map<string, string>();
        for (const pipelineId of detecting)
          byPipeline.set(pipelineId, detectionsOf(await run(file, { ...params, pipelineId })));
        const [first, ...rest] = [...byPipeline.values()];
        expect(JSON.parse(first).flatMap(([, d]: [number, unknown[]]) => d).length).toBeGreaterThan(0);
        for (const other of rest) expect(other).toBe(first);
      }
    }, 120_000);

    it('yolo_ocr reads the text drawn into the video, with its box around it', async () => {
      const ink = inkBox(await makeTextImage({ text: 'EXIT 42 WEST', width: 640, height: 360 }))!;
      const results = await run(video.sign, { pipelineId: 'yolo_ocr' });
      expect(results).toHaveLength(3);
      for (const r of results) {
        expect(Object.keys(r.result)).toEqual(['timestamp_ms', 'detections', 'text']);
        const [line] = r.result.text as TextLine[];
        expect(line.text).toBe('EXIT 42 WEST');
        expect(line.confidence).toBeGreaterThan(0.75);
        expect(line.confidence).toBeLessThanOrEqual(1);
        expect(contains(line.box, ink, 4)).toBe(true);
      }
    });

    it('yolo_track: the detections of yolo, each with a track_id after box, the same id on each frame of a still scene', async () => {
      const plain = await run(video.people, { pipelineId: 'yolo' });
      const tracked = await run(video.people, { pipelineId: 'yolo_track' });
      const strip = (r: FrameResult) =>
        (r.result.detections as Array<Detection & { track_id?: number }>).map(({ track_id: _, ...d }) => d);
      expect(tracked.map(strip)).toEqual(plain.map(strip));
      const ids = tracked.map((r) =>
        (r.result.detections as Array<Detection & { track_id: number }>).map((d) => d.track_id),
      );
      for (const r of tracked)
        for (const d of r.result.detections as Detection[])
          expect(Object.keys(d)).toEqual(['label', 'class_id', 'confidence', 'box', 'track_id']);
      expect(new Set(ids[0]).size).toBe(ids[0].length);
      expect(ids[1]).toEqual(ids[0]);
      expect(ids[2]).toEqual(ids[0]);
    });

    it('ocr: {timestamp_ms, text} only', async () => {
      const [r] = await run(video.sign, { pipelineId: 'ocr', maxFrames: 1 });
      expect(Object.keys(r.result)).toEqual(['timestamp_ms', 'text']);
    });

    it('gives byte-identical JSON for the same video and parameters twice', async () => {
      const once = JSON.stringify(await run(video.people, { pipelineId: 'yolo_ocr' }));
      const twice = JSON.stringify(await run(video.people, { pipelineId: 'yolo_ocr' }));
      expect(twice).toBe(once);
      expect(once).toContain('"label":"person"');
    });

    it('reads a frame that looks like the last frame read only once, reusing its text', async () => {
      const before = { ...service.stats };
      const results = await run(video.still, { pipelineId: 'ocr' });
      expect(service.stats.calls - before.calls).toBe(1);
      expect(service.stats.reused - before.reused).toBe(4);
      const texts = results.map((r) => JSON.stringify(r.result.text));
      expect(new Set(texts).size).toBe(1);
      expect(texts[0]).toContain('GATE 7');
    });
  });

  describe('parameters', () => {
    it('refuses an unknown pipeline with a ValidationError naming the valid ids, before any work', () => {
      expect(() => service.runOnFile(video.thirty, { pipelineId: 'segment', frameStride: 1, maxFrames: null })).toThrow(
        ValidationError,
      );
      expect(() => service.runOnFile(video.thirty, { pipelineId: 'segment', frameStride: 1, maxFrames: null })).toThrow(
        /yolo_ocr, yolo, ocr/,
      );
    });

    it.each([
      [{ frameStride: 0 }, /frame_stride/],
      [{ frameStride: 1.5 }, /frame_stride/],
      [{ maxFrames: 0 }, /max_frames/],
    ])('refuses %j with a ValidationError', (params, message) => {
      expect(() =>
        service.runOnFile(video.thirty, { pipelineId: 'yolo', frameStride: 1, maxFrames: null, ...params }),
      ).toThrow(message);
    });
  });

  describe('bad videos and stopping', () => {
    it('fails an empty file with UnsupportedMediaError and yields nothing', async () => {
      const file = await makeEmptyFile(path.join(tmp.dir, 'empty.mp4'));
      const seen: FrameResult[] = [];
      const failure = (async () => {
        for await (const r of service.runOnFile(file, { pipelineId: 'yolo', frameStride: 1, maxFrames: null }))
          seen.push(r);
      })();
      await expect(failure).rejects.toBeInstanceOf(UnsupportedMediaError);
      await expect(failure).rejects.toThrow('file is empty');
      expect(seen).toEqual([]);
    });

    it('fails a video damaged midway at the end of the iteration, so its partial results never count as a success', async () => {
      const file = await makeCorruptedMidwayCopy(video.long, path.join(tmp.dir, 'damaged.mp4'));
      await expect(run(file, { pipelineId: 'yolo', frameStride: 10 })).rejects.toThrow(/could not decode video/);
      expect(frames.running.size).toBe(0);
    });

    it('leaves no ffmpeg process after the caller stops at 2 frames of a long video', async () => {
      const pids = new Set<number>();
      let n = 0;
      for await (const _ of service.runOnFile(video.long, { pipelineId: 'yolo', frameStride: 1, maxFrames: null })) {
        for (const pid of frames.running) pids.add(pid);
        if (++n === 2) break;
      }
      expect(pids.size).toBe(1);
      expect(frames.running.size).toBe(0);
      for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
    });

    it('stops with an AbortError and no ffmpeg left when the signal aborts', async () => {
      const controller = new AbortController();
      const pids = new Set<number>();
      const iteration = (async () => {
        for await (const _ of service.runOnFile(
          video.long,
          { pipelineId: 'yolo', frameStride: 1, maxFrames: null },
          controller.signal,
        )) {
          for (const pid of frames.running) pids.add(pid);
          controller.abort();
        }
      })();
      await expect(iteration).rejects.toMatchObject({ name: 'AbortError' });
      expect(frames.running.size).toBe(0);
      for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
    });
  });
});

describe(createPipelineService.name, () => {
  it('wires a working service in one call, and close() may be called twice', async () => {
    const svc = await createPipelineService({ modelPath: testModelPath(), ocrEngine: 'tesseract', threads: 1 });
    try {
      const [r] = await run(video.sign, { pipelineId: 'yolo_ocr', maxFrames: 1 }, svc);
      expect((r.result.text as TextLine[])[0].text).toBe('EXIT 42 WEST');
    } finally {
      await svc.close();
      await svc.close();
    }
  });

  it('refuses an unknown OCR engine', async () => {
    await expect(createPipelineService({ modelPath: testModelPath(), ocrEngine: 'easyocr' as never })).rejects.toThrow(
      /valid engines: paddle, tesseract/,
    );
  });
});
