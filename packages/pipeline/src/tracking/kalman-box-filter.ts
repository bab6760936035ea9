import type { Box } from '../types';

/**
 * Constant-velocity Kalman filter over a box's centre, width and height (ByteTrack's xywh filter).
 * ByteTrack's motion, process and measurement noise are all diagonal, so the 8x8 covariance stays
 * block-diagonal: each coordinate with its own velocity is an independent 2-state filter. Writing it
 * as four 2x2 filters gives the same numbers as the 8x8 form with no matrix library.
 */
export interface KalmanBoxState {
  /** cx, cy, w, h */
  readonly pos: Float64Array;
  /** their velocities, per step (one step = one sampled frame) */
  readonly vel: Float64Array;
  /** per coordinate: var(pos), cov(pos, vel), var(vel) */
  readonly cov: Float64Array;
}

export interface KalmanBoxOptions {
  /** Standard deviation of position noise, relative to the box size (ByteTrack: 1/20). */
  stdPosition?: number;
  /** Standard deviation of velocity noise, relative to the box size (ByteTrack: 1/160). */
  stdVelocity?: number;
  /**
   * Velocity kept per step while a track goes unmatched (1 = pure constant velocity). A lost track's
   * prediction drifts less when objects stop or turn behind an occluder.
   */
  lostVelocityDamping?: number;
}

const toXywh = (b: Box): [number, number, number, number] => [
  (b[0] + b[2]) / 2,
  (b[1] + b[3]) / 2,
  Math.max(1e-3, b[2] - b[0]),
  Math.max(1e-3, b[3] - b[1]),
];

export class KalmanBoxFilter {
  private readonly stdPos: number;
  private readonly stdVel: number;
  readonly lostVelocityDamping: number;

  constructor(options: KalmanBoxOptions = {}) {
    this.stdPos = options.stdPosition ?? 1 / 20;
    this.stdVel = options.stdVelocity ?? 1 / 160;
    this.lostVelocityDamping = options.lostVelocityDamping ?? 1;
  }

  /** A new state at this box, not moving, with wide uncertainty on the velocity. */
  initiate(box: Box): KalmanBoxState {
    const m = toXywh(box);
    const pos = Float64Array.from(m);
    const vel = new Float64Array(4);
    const cov = new Float64Array(12);
    for (let i = 0; i < 4; i++) {
      const size = i % 2 === 0 ? m[2] : m[3];
      cov[i * 3] = (2 * this.stdPos * size) ** 2;
      cov[i * 3 + 2] = (10 * this.stdVel * size) ** 2;
    }
    return { pos, vel, cov };
  }

  /** Moves the state one step ahead in place; `lost` applies the velocity damping. */
  predict(s: KalmanBoxState, lost = false): void {
    const w = s.pos[2];
    const h = s.pos[3];
    for (let i = 0; i < 4; i++) {
      // A lost track keeps moving but stops growing or shrinking (ByteTrack zeroes the size velocity).
      if (lost) s.vel[i] = i >= 2 ? 0 : s.vel[i] * this.lostVelocityDamping;
      s.pos[i] += s.vel[i];
      if (i >= 2 && s.pos[i] < 1e-3) s.pos[i] = 1e-3;
      const size = i % 2 === 0 ? w : h;
      const [p, c, v] = [s.cov[i * 3], s.cov[i * 3 + 1], s.cov[i * 3 + 2]];
      // P' = F P F^T + Q with F = [[1, 1], [0, 1]]
      s.cov[i * 3] = p + 2 * c + v + (this.stdPos * size) ** 2;
      s.cov[i * 3 + 1] = c + v;
      s.cov[i * 3 + 2] = v + (this.stdVel * size) ** 2;
    }
  }

  /** Corrects the state in place with a measured box. */
  update(s: KalmanBoxState, box: Box): void {
    const m = toXywh(box);
    const w = s.pos[2];
    const h = s.pos[3];
    for (let i = 0; i < 4; i++) {
      const size = i % 2 === 0 ? w : h;
      const r = (this.stdPos * size) ** 2;
      const [p, c, v] = [s.cov[i * 3], s.cov[i * 3 + 1], s.cov[i * 3 + 2]];
      const sInv = 1 / (p + r);
      const kp = p * sInv;
      const kv = c * sInv;
      const innovation = m[i] - s.pos[i];
      s.pos[i] += kp * innovation;
      s.vel[i] += kv * innovation;
      s.cov[i * 3] = (1 - kp) * p;
      s.cov[i * 3 + 1] = (1 - kp) * c;
      s.cov[i * 3 + 2] = v - kv * c;
    }
  }

  /** The state's box as [x1, y1, x2, y2]. */
  box(s: KalmanBoxState): Box {
    const [cx, cy, w, h] = s.pos;
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
  }
}
