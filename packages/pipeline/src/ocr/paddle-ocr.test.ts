/**
 * @jest-environment <rootDir>/packages/pipeline/src/test-support/onnxruntime-environment.js
 */
import { inkBox, makeTextImage } from '../test-support/text-image';
import type { TextLine } from '../types';
import { describeOcrEngine } from './ocr-engine.suite';
import { PaddleOcr } from './paddle-ocr';

// The shared conformance suite (one engine instance for the whole suite; sessions load in well under a second).
describeOcrEngine('PaddleOcr', () => PaddleOcr.create());

describe(PaddleOcr.name, () => {
  let ocr: PaddleOcr;
  beforeAll(async () => {
    ocr = await PaddleOcr.create();
  });
  afterAll(async () => {
    await ocr.close();
  });

  it('maps boxes back to source pixels when the frame is scaled down for detection', async () => {
    // 1920x1080 is detected at 960x544: a box left in map pixels would land at about half the coordinates.
    const image = await makeTextImage({ text: 'KX 4821', width: 1920, height: 1080, x: 1100, y: 800, fontSize: 72 });
    const ink = inkBox(image)!;
    const lines = await ocr.read(image);
    expect(lines.map((l) => l.text.replace(/\s/g, ''))).toEqual(['KX4821']);
    const [x1, y1, x2, y2] = lines[0].box;
    expect(x1).toBeLessThanOrEqual(ink[0] + 4);
    expect(y1).toBeLessThanOrEqual(ink[1] + 4);
    expect(x2).toBeGreaterThanOrEqual(ink[2] - 4);
    expect(y2).toBeGreaterThanOrEqual(ink[3] - 4);
    // Grown by the unclip margin only: within half the text height of the ink on every side.
    const margin = (ink[3] - ink[1]) / 2;
    expect(x1).toBeGreaterThan(ink[0] - margin);
    expect(y1).toBeGreaterThan(ink[1] - margin);
    expect(x2).toBeLessThan(ink[2] + margin);
    expect(y2).toBeLessThan(ink[3] + margin);
  });

  it('returns lines top-to-bottom, then left-to-right', async () => {
    const image = await makeTextImage({
      text: ['TOP 1', 'MIDDLE 2', 'BOTTOM 3'],
      width: 800,
      height: 450,
      x: 60,
      fontSize: 48,
    });
    const lines = await ocr.read(image);
    expect(lines.map((l: TextLine) => l.text.replace(/\s/g, ''))).toEqual(['TOP1', 'MIDDLE2', 'BOTTOM3']);
  });

  it('drops lines under the confidence floor', async () => {
    const strict = await PaddleOcr.create({ minConfidence: 0.9999 });
    try {
      const image = await makeTextImage({ text: 'Qx7 ;:', width: 640, height: 360, fontSize: 20 });
      for (const line of await strict.read(image)) expect(line.confidence).toBeGreaterThanOrEqual(0.9999);
    } finally {
      await strict.close();
    }
  });

  it('rejects an image whose buffer does not match its size', async () => {
    await expect(ocr.read({ data: Buffer.alloc(10), width: 4, height: 4 })).rejects.toThrow(RangeError);
  });

  it('rejects bad options before loading anything', async () => {
    await expect(PaddleOcr.create({ minConfidence: 1.5 })).rejects.toThrow(/minConfidence/);
    await expect(PaddleOcr.create({ intraOpThreads: 0 })).rejects.toThrow(/intraOpThreads/);
  });

  it('refuses to read after close', async () => {
    const other = await PaddleOcr.create();
    await other.close();
    const image = await makeTextImage({ text: 'A', width: 64, height: 64 });
    await expect(other.read(image)).rejects.toThrow(/closed/);
  });
});
