/**
 * @jest-environment <rootDir>/packages/pipeline/src/test-support/onnxruntime-environment.js
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { makeConstantOutputModel, makeTempDir, samplePath, testModelPath } from '../test-support';
import type { Detection, RgbImage } from '../types';
import { anchorCount, ModelFormatError } from './model-layout';
import { YoloDetector } from './yolo-detector';

const loadRgb = async (file: string): Promise<RgbImage> => {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
};

const expectInside = (detections: Detection[], image: RgbImage) => {
  for (const { box } of detections) {
    expect(box[0]).toBeGreaterThanOrEqual(0);
    expect(box[1]).toBeGreaterThanOrEqual(0);
    expect(box[2]).toBeLessThanOrEqual(image.width);
    expect(box[3]).toBeLessThanOrEqual(image.height);
    expect(box[2]).toBeGreaterThan(box[0]);
    expect(box[3]).toBeGreaterThan(box[1]);
  }
};

describe(YoloDetector.name, () => {
  describe('with the default YOLOX-Nano model', () => {
    let detector: YoloDetector;
    beforeAll(async () => {
      detector = await YoloDetector.create({ modelPath: testModelPath(), threads: 1 });
    });
    afterAll(() => detector.close());

    it('recognises the YOLOX layout and its 416x416 input', () => {
      expect(detector.layout).toMatchObject({ kind: 'yolox', classCount: 80, anchors: 3549 });
      expect(detector.inputSize).toEqual({ width: 416, height: 416 });
    });

    it.each([
      ['people.jpg', 'person', 0, 5],
      ['cars.jpg', 'car', 2, 5],
      ['dogs2.jpg', 'dog', 16, 2],
    ])('finds %s: several %s boxes inside the image', async (file, label, classId, atLeast) => {
      const image = await loadRgb(samplePath(file));
      const detections = await detector.detect(image);
      const hits = detections.filter((d) => d.label === label && d.class_id === classId);
      expect(hits.length).toBeGreaterThanOrEqual(atLeast);
      expect(hits[0].confidence).toBeGreaterThan(0.6);
      expectInside(detections, image);
    });

    it('returns detections best first, all at or above the confidence floor', async () => {
      const detections = await detector.detect(await loadRgb(samplePath('people.jpg')));
      const scores = detections.map((d) => d.confidence);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      expect(Math.min(...scores)).toBeGreaterThanOrEqual(0.35);
    });

    it('finds nothing in a plain grey frame', async () => {
      const data = Buffer.alloc(640 * 360 * 3, 128);
      expect(await detector.detect({ data, width: 640, height: 360 })).toEqual([]);
    });

    it('gives the same boxes for the same frame every time', async () => {
      const image = await loadRgb(samplePath('dogs2.jpg'));
      expect(await detector.detect(image)).toEqual(await detector.detect(image));
    });
  });

  describe('with the Ultralytics layout', () => {
    // A 96x96 model whose output [1, 84, N] is a constant we choose: decoding is checked exactly.
    const W = 96;
    const N = anchorCount(W, W); // 144 + 36 + 9 = 189
    let tmp: { dir: string; remove: () => Promise<void> };
    let detector: YoloDetector;

    const setAnchor = (out: Float32Array, i: number, [cx, cy, w, h]: number[], classId: number, p: number) => {
      [cx, cy, w, h].forEach((v, k) => (out[k * N + i] = v));
      out[(4 + classId) * N + i] = p;
    };

    beforeAll(async () => {
      tmp = await makeTempDir();
      const out = new Float32Array(84 * N);
      setAnchor(out, 5, [48, 48, 20, 40], 2, 0.9); // car
      setAnchor(out, 6, [49, 49, 20, 40], 2, 0.6); // the same car, weaker: suppressed by NMS
      setAnchor(out, 7, [49, 49, 20, 40], 0, 0.7); // a person in the same place: another class, kept
      setAnchor(out, 8, [10, 40, 8, 8], 16, 0.2); // a dog below the confidence floor
      const file = path.join(tmp.dir, 'ultralytics.onnx');
      fs.writeFileSync(
        file,
        makeConstantOutputModel({ inputShape: [1, 3, W, W], outputShape: [1, 84, N], values: out }),
      );
      detector = await YoloDetector.create({ modelPath: file, minConfidence: 0.35, threads: 1 });
    });
    afterAll(async () => {
      await detector.close();
      await tmp.remove();
    });

    it('recognises [1, 4 + classes, N] as Ultralytics', () => {
      expect(detector.layout).toMatchObject({ kind: 'ultralytics', classCount: 80, anchors: N });
    });

    it('decodes centre boxes, undoes the centred letterbox and keeps one box per object and class', async () => {
      // 192x96 scales by 0.5 to 96x48, centred: 24 px of padding above. Input box x 38..58, y 28..68.
      const detections = await detector.detect({ data: Buffer.alloc(192 * 96 * 3), width: 192, height: 96 });
      expect(detections).toHaveLength(2);
      expect(detections[0]).toMatchObject({ label: 'car', class_id: 2 });
      expect(detections[0].confidence).toBeCloseTo(0.9, 5);
      const [x1, y1, x2, y2] = detections[0].box;
      expect([x1, y1, x2, y2].map((v) => Math.round(v * 10) / 10)).toEqual([76, 8, 116, 88]);
      expect(detections[1]).toMatchObject({ label: 'person', class_id: 0 });
      expect(detections[1].confidence).toBeCloseTo(0.7, 5);
    });

    it('clips boxes that reach past the image to its edges', async () => {
      // A 96x96 image has no padding; the car box y 28..68 fits, so use a short image instead.
      const detections = await detector.detect({ data: Buffer.alloc(96 * 40 * 3), width: 96, height: 40 });
      for (const d of detections) {
        expect(d.box[1]).toBeGreaterThanOrEqual(0);
        expect(d.box[3]).toBeLessThanOrEqual(40);
      }
    });
  });

  describe('with a real Ultralytics export (yolov8n int8)', () => {
    it('finds the dogs in dogs2.jpg, like YOLOX does', async () => {
      const detector = await YoloDetector.create({ modelPath: testModelPath('yolov8n_int8.onnx'), threads: 1 });
      try {
        expect(detector.layout).toMatchObject({ kind: 'ultralytics', classCount: 80, anchors: 8400 });
        const image = await loadRgb(samplePath('dogs2.jpg'));
        const dogs = (await detector.detect(image)).filter((d) => d.label === 'dog');
        expect(dogs.length).toBeGreaterThanOrEqual(2);
        expectInside(dogs, image);
      } finally {
        await detector.close();
      }
    });
  });

  describe('refusing models', () => {
    let tmp: { dir: string; remove: () => Promise<void> };
    beforeAll(async () => {
      tmp = await makeTempDir();
    });
    afterAll(() => tmp.remove());

    it('refuses a model whose output is neither layout, naming the shape', async () => {
      const file = path.join(tmp.dir, 'odd.onnx');
      fs.writeFileSync(
        file,
        makeConstantOutputModel({ inputShape: [1, 3, 96, 96], outputShape: [1, 10, 7], values: new Float32Array(70) }),
      );
      const created = YoloDetector.create({ modelPath: file });
      await expect(created).rejects.toBeInstanceOf(ModelFormatError);
      await expect(created).rejects.toThrow(/output shape \[1, 10, 7\].*neither YOLOX.*nor Ultralytics/);
    });

    it('says how to get the model when the file is missing', async () => {
      await expect(YoloDetector.create({ modelPath: path.join(tmp.dir, 'missing.onnx') })).rejects.toThrow(
        /models:fetch|MODEL_PATH/,
      );
    });
  });
});
