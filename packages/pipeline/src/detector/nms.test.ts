import { iou } from '../iou';
import { nmsPerClass, type Candidate } from './nms';

const c = (classId: number, score: number, box: [number, number, number, number]): Candidate => ({
  classId,
  score,
  box,
});

describe('nmsPerClass', () => {
  it('keeps the best of two overlapping boxes of one class', () => {
    const kept = nmsPerClass([c(0, 0.6, [0, 0, 10, 10]), c(0, 0.9, [1, 1, 11, 11])]);
    expect(kept).toEqual([c(0, 0.9, [1, 1, 11, 11])]);
  });

  it('keeps overlapping boxes of different classes', () => {
    expect(nmsPerClass([c(0, 0.9, [0, 0, 10, 10]), c(1, 0.8, [0, 0, 10, 10])])).toHaveLength(2);
  });

  it('keeps boxes of one class that overlap less than the threshold', () => {
    // IoU of [0,0,10,10] and [6,0,16,10] = 40 / 160 = 0.25
    expect(nmsPerClass([c(0, 0.9, [0, 0, 10, 10]), c(0, 0.8, [6, 0, 16, 10])], 0.45)).toHaveLength(2);
  });

  it('orders ties the same way whatever the input order', () => {
    const a = c(0, 0.5, [0, 0, 5, 5]);
    const b = c(0, 0.5, [20, 0, 25, 5]);
    expect(nmsPerClass([a, b])).toEqual(nmsPerClass([b, a]));
  });
});

describe('iou', () => {
  it('is 1 for the same box and 0 for disjoint ones', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
  });
});
