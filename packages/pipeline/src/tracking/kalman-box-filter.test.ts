import type { Box } from '../types';
import { KalmanBoxFilter } from './kalman-box-filter';

const at = (x: number, y: number, w = 40, h = 80): Box => [x, y, x + w, y + h];

describe(KalmanBoxFilter.name, () => {
  it('starts at the measured box, not moving', () => {
    const kf = new KalmanBoxFilter();
    const s = kf.initiate(at(100, 50));
    expect(kf.box(s)).toEqual(at(100, 50));
    kf.predict(s);
    expect(kf.box(s)).toEqual(at(100, 50));
  });

  it('learns a constant velocity and predicts the next box within a pixel', () => {
    const kf = new KalmanBoxFilter();
    const s = kf.initiate(at(0, 0));
    for (let k = 1; k <= 20; k++) {
      kf.predict(s);
      kf.update(s, at(5 * k, 2 * k));
    }
    kf.predict(s);
    const b = kf.box(s);
    expect(b[0]).toBeCloseTo(105, 0);
    expect(b[1]).toBeCloseTo(42, 0);
    expect(b[2] - b[0]).toBeCloseTo(40, 1);
  });

  it('keeps moving a lost box but stops its size changing, and damps its speed when asked', () => {
    const kf = new KalmanBoxFilter({ lostVelocityDamping: 0.5 });
    const s = kf.initiate(at(0, 0));
    for (let k = 1; k <= 20; k++) {
      kf.predict(s);
      kf.update(s, [10 * k, 0, 10 * k + 40 + k, 80]);
    }
    const before = kf.box(s);
    kf.predict(s, true);
    const after = kf.box(s);
    const width = (b: Box) => b[2] - b[0];
    expect(width(after)).toBeCloseTo(width(before), 6);
    expect(after[0] - before[0]).toBeGreaterThan(3);
    expect(after[0] - before[0]).toBeLessThan(7);
  });

  it('grows its uncertainty while predicting without measurements', () => {
    const kf = new KalmanBoxFilter();
    const s = kf.initiate(at(0, 0));
    const v0 = s.cov[0];
    kf.predict(s);
    kf.predict(s);
    expect(s.cov[0]).toBeGreaterThan(v0);
  });
});
