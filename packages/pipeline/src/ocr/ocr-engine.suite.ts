/**
 * Behaviour every Ocr engine must show, as a jest suite each engine's test file runs:
 *
 *   import { describeOcrEngine } from './ocr-engine.suite';
 *   describeOcrEngine('TesseractOcr', () => TesseractOcr.create({ workers: 1 }));
 *
 * Not part of the build (excluded in tsconfig): it uses jest's globals.
 */
import type { Box, Ocr, RgbImage, TextLine } from '../types';
import { inkBox, makeBlankImage, makeTextImage } from '../test-support/text-image';

export interface OcrSuiteOptions {
  /** Time allowed for creating the engine (loading models, starting workers). Default 60 s. */
  createTimeoutMs?: number;
}

/** Upper-cased words of every line, for order-insensitive checks. */
const wordsOf = (lines: TextLine[]) => lines.flatMap((l) => l.text.toUpperCase().split(/\s+/)).filter(Boolean);

/** Some engines read "EXIT 42 WEST" as one token "EXIT42WEST"; compare with spaces removed. */
const joined = (lines: TextLine[]) => lines.map((l) => l.text.toUpperCase().replace(/\s+/g, '')).join('|');

const contains = (outer: Box, inner: Box, slack: number) =>
  outer[0] <= inner[0] + slack &&
  outer[1] <= inner[1] + slack &&
  outer[2] >= inner[2] - slack &&
  outer[3] >= inner[3] - slack;

const expectSaneLine = (line: TextLine, image: RgbImage) => {
  expect(typeof line.text).toBe('string');
  expect(line.text.trim()).toBe(line.text);
  expect(line.text.length).toBeGreaterThan(0);
  expect(line.confidence).toBeGreaterThanOrEqual(0);
  expect(line.confidence).toBeLessThanOrEqual(1);
  const [x1, y1, x2, y2] = line.box;
  expect(x1).toBeGreaterThanOrEqual(0);
  expect(y1).toBeGreaterThanOrEqual(0);
  expect(x2).toBeLessThanOrEqual(image.width);
  expect(y2).toBeLessThanOrEqual(image.height);
  expect(x2).toBeGreaterThan(x1);
  expect(y2).toBeGreaterThan(y1);
};

export function describeOcrEngine(name: string, createOcr: () => Promise<Ocr>, options: OcrSuiteOptions = {}): void {
  describe(`${name} (Ocr conformance)`, () => {
    let ocr: Ocr | undefined;
    let sign: RgbImage;

    beforeAll(async () => {
      sign = await makeTextImage({ text: 'EXIT 42 WEST', width: 640, height: 360 });
      ocr = await createOcr();
    }, options.createTimeoutMs ?? 60_000);

    afterAll(async () => {
      await ocr?.close();
    });

    const engine = () => {
      if (!ocr) throw new Error(`${name}: createOcr() did not produce an engine`);
      return ocr;
    };

    it('reads "EXIT 42 WEST" drawn on a plain frame', async () => {
      const lines = await engine().read(sign);
      expect(joined(lines)).toContain('EXIT42WEST');
    });

    it('puts a box around the text it reads', async () => {
      const lines = await engine().read(sign);
      const ink = inkBox(sign)!;
      const line = lines.find((l) => /EXIT/i.test(l.text) && /WEST/i.test(l.text)) ?? lines[0];
      expect(line).toBeDefined();
      // The box holds the drawn text, give or take a few pixels, and is not the whole frame.
      expect(contains(line.box, ink, 4)).toBe(true);
      const [x1, y1, x2, y2] = line.box;
      expect((x2 - x1) * (y2 - y1)).toBeLessThan((ink[2] - ink[0]) * (ink[3] - ink[1]) * 3);
    });

    it('returns no lines for a blank frame', async () => {
      expect(await engine().read(makeBlankImage(640, 360))).toEqual([]);
      expect(await engine().read(makeBlankImage(640, 360, [20, 20, 20]))).toEqual([]);
    });

    it('gives boxes inside the image and confidences in 0..1', async () => {
      const image = await makeTextImage({ text: ['GATE 7', 'PLATFORM 12'], width: 800, height: 450, x: 40 });
      const lines = await engine().read(image);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expectSaneLine(line, image);
      expect(wordsOf(lines)).toEqual(expect.arrayContaining(['GATE', 'PLATFORM']));
    });

    it('reads light text on a dark background, as video overlays often are', async () => {
      const image = await makeTextImage({
        text: 'EXIT 42 WEST',
        width: 640,
        height: 360,
        background: '#101010',
        color: 'white',
      });
      expect(joined(await engine().read(image))).toContain('EXIT42WEST');
    });

    it('gives the same lines for the same image twice', async () => {
      const [a, b] = [await engine().read(sign), await engine().read(sign)];
      expect(b).toEqual(a);
    });

    it('reads frames given concurrently', async () => {
      const results = await Promise.all([
        engine().read(sign),
        engine().read(makeBlankImage(640, 360)),
        engine().read(sign),
      ]);
      expect(joined(results[0])).toContain('EXIT42WEST');
      expect(results[1]).toEqual([]);
      expect(results[2]).toEqual(results[0]);
    });

    it('close() resolves and may be called twice', async () => {
      await engine().close();
      await engine().close();
    });
  });
}
