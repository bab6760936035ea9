/**
 * @jest-environment <rootDir>/packages/pipeline/src/test-support/onnxruntime-environment.js
 */
import { YoloDetector } from '../detector/yolo-detector';
import { FrameSource } from '../media/frame-source';
import { PIPELINES, PipelineRegistry } from '../pipeline-registry';
import { samplePath, testModelPath } from '../test-support';
import type { Detection } from '../types';
import { VideoFilePipelineService, type FrameResult } from '../video-file-pipeline.service';
import { ByteTracker } from './byte-tracker';

type Tracked = Detection & { track_id: number };

describe('yolo_track on real street footage', () => {
  let service: VideoFilePipelineService;
  let results: FrameResult[];

  beforeAll(async () => {
    const detector = await YoloDetector.create({ modelPath: testModelPath(), threads: 1 });
    service = new VideoFilePipelineService({
      frames: new FrameSource(),
      detector,
      registry: new PipelineRegistry(PIPELINES.filter((p) => !p.stages.includes('ocr'))),
    });
    results = [];
    // The traffic camera (1280x720, 344 frames of cars and a few people), every 2nd frame.
    for await (const r of service.runOnFile(samplePath('traffic_cam_timestamp.mp4'), {
      pipelineId: 'yolo_track',
      frameStride: 2,
      maxFrames: null,
    }))
      results.push(r);
  }, 180_000);

  afterAll(() => service?.close());

  it('puts at least 80 % of detections in tracks that last 10+ sampled frames', () => {
    const ids = results.flatMap((r) => (r.result.detections as Tracked[]).map((d) => d.track_id));
    const frames = new Map<number, number>();
    for (const id of ids) frames.set(id, (frames.get(id) ?? 0) + 1);
    const inLong = ids.filter((id) => frames.get(id)! >= 10).length;
    expect(results.length).toBe(172);
    expect(ids.length).toBeGreaterThan(300);
    // 98.3 % measured (a greedy IoU matcher: 96.4 %, tools/track/greedy-tracker.ts).
    expect(inLong / ids.length).toBeGreaterThanOrEqual(0.8);
  });

  it('never gives one id to two detections of the same frame, and numbers ids from 1 without gaps in order of birth', () => {
    let highest = 0;
    for (const r of results) {
      const ids = (r.result.detections as Tracked[]).map((d) => d.track_id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of [...ids].sort((a, b) => a - b)) {
        expect(id).toBeLessThanOrEqual(highest + 1);
        highest = Math.max(highest, id);
      }
    }
  });

  it('gives the same ids when the same detections are tracked again (deterministic)', () => {
    const tracker = new ByteTracker();
    for (const r of results) {
      const detections = r.result.detections as Tracked[];
      expect(tracker.update(detections)).toEqual(detections.map((d) => d.track_id));
    }
  });
});
