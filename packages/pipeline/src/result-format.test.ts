import { buildResult, formatDetections, round, toSourceBox } from './result-format';

describe('result format', () => {
  it('rounds confidence to 4 decimals and boxes to 1, without -0', () => {
    expect(round(0.91326, 4)).toBe(0.9133);
    expect(round(-0.00001, 1)).toBe(0);
    expect(Object.is(round(-0.00001, 1), -0)).toBe(false);
    expect(toSourceBox([10.04, 20.06, 30.55, 40], 1, 1, 100, 100)).toEqual([10, 20.1, 30.6, 40]);
  });

  it('scales boxes from a shrunk frame back to source pixels and clips them', () => {
    expect(toSourceBox([-2, 10, 208, 117], 1920 / 416, 1080 / 234, 1920, 1080)).toEqual([0, 46.2, 960, 540]);
  });

  it('orders detections by rounded confidence, then class, then position', () => {
    const s = { sx: 1, sy: 1, width: 100, height: 100 };
    const out = formatDetections(
      [
        { label: 'car', class_id: 2, confidence: 0.800001, box: [50, 0, 60, 10] },
        { label: 'person', class_id: 0, confidence: 0.8, box: [0, 0, 10, 10] },
        { label: 'car', class_id: 2, confidence: 0.8, box: [10, 0, 20, 10] },
        { label: 'dog', class_id: 16, confidence: 0.95, box: [0, 0, 1, 1] },
      ],
      s,
    );
    expect(out.map((d) => `${d.label}@${d.box[0]}`)).toEqual(['dog@0', 'person@0', 'car@10', 'car@50']);
    expect(Object.keys(out[0])).toEqual(['label', 'class_id', 'confidence', 'box']);
  });

  it('builds each pipeline result with exactly its fields, in a fixed key order', () => {
    expect(Object.keys(buildResult(['detect', 'ocr'], 33, [], []))).toEqual(['timestamp_ms', 'detections', 'text']);
    expect(Object.keys(buildResult(['detect'], 33, []))).toEqual(['timestamp_ms', 'detections']);
    expect(Object.keys(buildResult(['ocr'], 33, undefined, []))).toEqual(['timestamp_ms', 'text']);
  });
});
