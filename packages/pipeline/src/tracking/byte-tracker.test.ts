import type { Box } from '../types';
import { ByteTracker, type TrackInput } from './byte-tracker';

const det = (x: number, y: number, confidence = 0.9, class_id = 0, w = 40, h = 80): TrackInput => ({
  box: [x, y, x + w, y + h] as Box,
  confidence,
  class_id,
});

describe(ByteTracker.name, () => {
  it('keeps one id for an object moving steadily, new ids counting up from 1', () => {
    const t = new ByteTracker();
    const ids = Array.from({ length: 30 }, (_, k) => t.update([det(10 + 8 * k, 100), det(400, 20 + 3 * k)]));
    expect(ids[0]).toEqual([1, 2]);
    expect(new Set(ids.map((f) => f.join()))).toEqual(new Set(['1,2']));
  });

  it('keeps ids through a crossing of two objects of the same class', () => {
    const t = new ByteTracker();
    // A moves right, B moves left on the same row with a small vertical offset; they overlap mid-way.
    const seen: Array<{ a: number; b: number }> = [];
    for (let k = 0; k < 40; k++) {
      const ids = t.update([det(20 + 10 * k, 100), det(420 - 10 * k, 110)]);
      seen.push({ a: ids[0], b: ids[1] });
    }
    expect(seen.every((s) => s.a === 1 && s.b === 2)).toBe(true);
  });

  it('gives an object its id back after a short occlusion, from the predicted motion', () => {
    const t = new ByteTracker();
    const ids: number[] = [];
    for (let k = 0; k < 40; k++) {
      const visible = k < 15 || k >= 22; // hidden for 7 frames
      const out = t.update(visible ? [det(20 + 10 * k, 100)] : []);
      if (visible) ids.push(out[0]);
    }
    expect(new Set(ids)).toEqual(new Set([1]));
  });

  it('gives a person its id back after crossing behind another, though its box shrank as it went behind', () => {
    // A walks right behind B, who walks left; the detector sees only A's visible part, and nothing
    // while less than 40 % of A shows. The plain Kalman prediction stalls (the visible part's centre
    // stops moving as A disappears); the tracker moves a lost track on from its last full-size box.
    const crossing = (tracker: ByteTracker) => {
      const seen: Array<{ a?: number; b: number }> = [];
      for (let k = 0; k < 90; k++) {
        const ax = 100 + 3 * k;
        const bx = 460 - 3 * k;
        const visible: Box =
          ax < bx ? [ax, 100, Math.min(ax + 60, bx), 220] : [Math.max(ax, bx + 60), 100, ax + 60, 220];
        const share = Math.max(0, visible[2] - visible[0]) / 60;
        const dets = [{ box: [bx, 105, bx + 60, 225] as Box, confidence: 0.9, class_id: 0 }];
        if (share >= 0.4) dets.push({ box: visible, confidence: 0.9, class_id: 0 });
        const ids = tracker.update(dets);
        seen.push({ b: ids[0], a: ids[1] });
      }
      return seen;
    };
    const seen = crossing(new ByteTracker());
    expect(new Set(seen.map((s) => s.b))).toEqual(new Set([1]));
    expect(new Set(seen.map((s) => s.a).filter((a) => a !== undefined))).toEqual(new Set([2]));
    const plain = crossing(new ByteTracker({ lostMotionFromHistory: false, lostBuffer: 0 }));
    expect(new Set(plain.map((s) => s.a).filter((a) => a !== undefined)).size).toBeGreaterThan(1);
  });

  it('starts a new id for an object that stays away longer than maxMissedFrames, and never reuses ids', () => {
    const t = new ByteTracker({ maxMissedFrames: 3 });
    expect(t.update([det(100, 100)])).toEqual([1]);
    expect(t.update([det(100, 100)])).toEqual([1]);
    for (let k = 0; k < 4; k++) t.update([]);
    expect(t.update([det(100, 100)])).toEqual([2]);
    expect(t.size).toBe(1);
  });

  it('with maxMissedFrames 0 forgets a track at its first miss', () => {
    const t = new ByteTracker({ maxMissedFrames: 0 });
    t.update([det(100, 100)]);
    t.update([det(100, 100)]);
    t.update([]);
    expect(t.update([det(100, 100)])).toEqual([2]);
    expect(() => new ByteTracker({ maxMissedFrames: -1 })).toThrow(/maxMissedFrames/);
  });

  it('keeps a track alive with a low-score box (second pass) without stealing it for a new track', () => {
    const t = new ByteTracker({ highScore: 0.6 });
    for (let k = 0; k < 5; k++) expect(t.update([det(10 + 5 * k, 50, 0.9)])).toEqual([1]);
    // Partly hidden: the detector is less sure.
    for (let k = 5; k < 10; k++) expect(t.update([det(10 + 5 * k, 50, 0.4)])).toEqual([1]);
    expect(t.update([det(60, 50, 0.9)])).toEqual([1]);
  });

  it('gives a lone low-score box an id of its own, and forgets it if it does not come back', () => {
    const t = new ByteTracker({ highScore: 0.6 });
    expect(t.update([det(10, 10, 0.9), det(300, 300, 0.4)])).toEqual([1, 2]);
    expect(t.update([det(10, 10, 0.9)])).toEqual([1]);
    expect(t.size).toBe(1);
    expect(t.update([det(10, 10, 0.9), det(300, 300, 0.4)])).toEqual([1, 3]);
  });

  it('does not carry an id from one class to another by default', () => {
    const t = new ByteTracker();
    expect(t.update([det(10, 10, 0.9, 0)])).toEqual([1]);
    expect(t.update([det(10, 10, 0.9, 2)])).toEqual([2]);
    const agnostic = new ByteTracker({ classMismatchCost: 0 });
    agnostic.update([det(10, 10, 0.9, 0)]);
    expect(agnostic.update([det(10, 10, 0.9, 2)])).toEqual([1]);
  });

  it('gives the same ids for the same detections (deterministic)', () => {
    const run = () => {
      const t = new ByteTracker();
      let seed = 3;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      return Array.from({ length: 50 }, (_, k) =>
        t.update(
          Array.from({ length: 6 }, (_, i) =>
            det(50 * i + 3 * k + rand() * 4, 40 * i + rand() * 4, 0.3 + rand() * 0.6),
          ),
        ),
      );
    };
    expect(run()).toEqual(run());
  });
});
