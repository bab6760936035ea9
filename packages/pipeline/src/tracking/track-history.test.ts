import type { Box } from '../types';
import { bufferedIou, iou } from './iou';
import { TrackHistory } from './track-history';

describe(TrackHistory.name, () => {
  it('measures velocity between full-size sightings only, ignoring a box shrinking behind an occluder', () => {
    const h = new TrackHistory();
    for (let s = 1; s <= 10; s++) h.add(s, [10 * s, 0, 10 * s + 50, 100]);
    // Going behind something on its right: the right edge stops, the box shrinks.
    for (let s = 11; s <= 14; s++) h.add(s, [10 * s, 0, 150, 100]);
    expect(h.velocity()![0]).toBeCloseTo(10);
    const p = h.predict(20)!;
    expect(p[0]).toBeCloseTo(200);
    expect(p[2] - p[0]).toBeCloseTo(50);
  });

  it('has no velocity from one sighting and no prediction from none', () => {
    const h = new TrackHistory();
    expect(h.predict(3)).toBeUndefined();
    h.add(1, [0, 0, 10, 10]);
    expect(h.velocity()).toBeUndefined();
    expect(h.predict(3)).toEqual([0, 0, 10, 10]);
  });
});

describe('bufferedIou', () => {
  it('is IoU with no buffer, and lets a sliver next to a box overlap it with one', () => {
    const a: Box = [0, 0, 100, 100];
    const sliver: Box = [105, 0, 125, 100];
    expect(bufferedIou(a, sliver, 0)).toBe(iou(a, sliver));
    expect(iou(a, sliver)).toBe(0);
    expect(bufferedIou(a, sliver, 0.3)).toBeGreaterThan(0.1);
  });
});
