import type { Box } from '../types';
import { iou } from './iou';
import { KalmanBoxFilter, type KalmanBoxOptions, type KalmanBoxState } from './kalman-box-filter';
import { linearAssignment } from './linear-assignment';

/** What the tracker needs of a detection. */
export interface TrackInput {
  box: Box;
  confidence: number;
  class_id: number;
}

export interface ByteTrackerOptions extends KalmanBoxOptions {
  /** Sampled frames a track may go unmatched and still take its object back (TRACK_MAX_MISSED_FRAMES). */
  maxMissedFrames?: number;
  /** Detections at or above this score are matched first and may start tracks; the rest only continue tracks (second pass). */
  highScore?: number;
  /** First pass (high-score boxes against every kept track): a pair is made only if 1 - IoU is at most this. */
  firstMatchCost?: number;
  /** Second pass (low-score boxes against tracks seen on the last frame). */
  secondMatchCost?: number;
  /** Tracks born on the last frame against the still unmatched high-score boxes. */
  tentativeMatchCost?: number;
  /** Added to the cost when class ids differ; Infinity keeps classes apart, 0 ignores them. */
  classMismatchCost?: number;
}

export const DEFAULT_TRACK_MAX_MISSED_FRAMES = 30;

interface Track {
  id: number;
  state: KalmanBoxState;
  classId: number;
  /** consecutive sampled frames without a match */
  missed: number;
  /** matched on at least two frames: a tentative track unmatched on its second frame is dropped */
  confirmed: boolean;
  predicted: Box;
}

/**
 * ByteTrack-style multi-object tracker over one job's sampled frames, fed in frame order. Every
 * detection gets an id: a continued track's, or a new one (ids count up from 1 and are never reused).
 * Pure and deterministic: the same detections in the same order give the same ids.
 */
export class ByteTracker {
  private readonly kf: KalmanBoxFilter;
  private readonly maxMissed: number;
  private readonly highScore: number;
  private readonly firstCost: number;
  private readonly secondCost: number;
  private readonly tentativeCost: number;
  private readonly classCost: number;
  private tracks: Track[] = [];
  private nextId = 1;

  constructor(options: ByteTrackerOptions = {}) {
    this.kf = new KalmanBoxFilter(options);
    this.maxMissed = options.maxMissedFrames ?? DEFAULT_TRACK_MAX_MISSED_FRAMES;
    this.highScore = options.highScore ?? 0.5;
    this.firstCost = options.firstMatchCost ?? 0.8;
    this.secondCost = options.secondMatchCost ?? 0.5;
    this.tentativeCost = options.tentativeMatchCost ?? 0.7;
    this.classCost = options.classMismatchCost ?? Infinity;
    if (!Number.isInteger(this.maxMissed) || this.maxMissed < 0) throw new Error(`tracker: maxMissedFrames must be an integer >= 0, got ${this.maxMissed}`);
  }

  /** Tracks currently kept (seen or within maxMissedFrames); for tests and memory checks. */
  get size(): number {
    return this.tracks.length;
  }

  /** Ids for one sampled frame's detections, in the same order. */
  update(detections: readonly TrackInput[]): number[] {
    const ids = new Array<number>(detections.length).fill(0);
    for (const t of this.tracks) {
      this.kf.predict(t.state, t.missed > 0);
      t.predicted = this.kf.box(t.state);
    }
    const high: number[] = [];
    const low: number[] = [];
    detections.forEach((d, i) => (d.confidence >= this.highScore ? high : low).push(i));
    const confirmed = this.tracks.filter((t) => t.confirmed);
    const tentative = this.tracks.filter((t) => !t.confirmed);
    const matched = new Set<Track>();

    // 1: high-score boxes against every confirmed track, seen last frame or lost for a while.
    const first = this.match(confirmed, high, detections, this.firstCost, ids, matched);
    // 2: low-score boxes (often a partly hidden object) keep tracks seen on the last frame alive.
    const recent = first.tracks.filter((t) => t.missed === 0);
    this.match(recent, low, detections, this.secondCost, ids, matched);
    // 3: tracks born last frame against the boxes left (a track born from a low-score box may continue with one).
    const left = [...first.detections, ...low.filter((i) => ids[i] === 0)].sort((x, y) => x - y);
    const rest = this.match(tentative, left, detections, this.tentativeCost, ids, matched);

    const kept: Track[] = [];
    for (const t of this.tracks) {
      if (matched.has(t)) {
        kept.push(t);
        continue;
      }
      t.missed++;
      if (t.confirmed && t.missed <= this.maxMissed) kept.push(t);
    }
    // Every detection left starts a track, so every detection carries an id; a track born from
    // a lone low-score box is dropped next frame unless it is matched again.
    for (const i of rest.detections) {
      const d = detections[i];
      const t: Track = { id: this.nextId++, state: this.kf.initiate(d.box), classId: d.class_id, missed: 0, confirmed: false, predicted: d.box };
      ids[i] = t.id;
      kept.push(t);
    }
    this.tracks = kept;
    return ids;
  }

  private match(tracks: Track[], dets: number[], detections: readonly TrackInput[], limit: number, ids: number[], matched: Set<Track>) {
    const cost = tracks.map((t) =>
      dets.map((i) => {
        const d = detections[i];
        const c = 1 - iou(t.predicted, d.box);
        return d.class_id === t.classId ? c : c + this.classCost;
      }),
    );
    const a = linearAssignment(cost, dets.length, limit);
    for (const [ti, di] of a.matches) {
      const t = tracks[ti];
      const d = detections[dets[di]];
      this.kf.update(t.state, d.box);
      t.classId = d.class_id;
      t.confirmed = true;
      t.missed = 0;
      ids[dets[di]] = t.id;
      matched.add(t);
    }
    return { tracks: a.unmatchedRows.map((i) => tracks[i]), detections: a.unmatchedColumns.map((j) => dets[j]) };
  }
}
