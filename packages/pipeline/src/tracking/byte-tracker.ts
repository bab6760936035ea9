import type { Box } from '../types';
import { bufferedIou } from './iou';
import { KalmanBoxFilter, type KalmanBoxOptions, type KalmanBoxState } from './kalman-box-filter';
import { linearAssignment } from './linear-assignment';
import { TrackHistory } from './track-history';

/** What the tracker needs of a detection. */
export interface TrackInput {
  box: Box;
  confidence: number;
  class_id: number;
}

export interface ByteTrackerOptions extends KalmanBoxOptions {
  /** Sampled frames a track may go unmatched and still take its object back (TRACK_MAX_MISSED_FRAMES). */
  maxMissedFrames?: number;
  /** Detections at or above this score are matched first; the rest only continue tracks (the second pass). */
  highScore?: number;
  /** First pass (high-score boxes): a pair is made only if 1 - IoU is at most this. */
  firstMatchCost?: number;
  /** Second pass (low-score boxes against the tracks seen on the last frame and still unmatched; lost tracks use firstMatchCost). */
  secondMatchCost?: number;
  /** Tracks born on the last frame against the boxes left. */
  tentativeMatchCost?: number;
  /** Added to the cost when class ids differ; Infinity keeps classes apart, 0 ignores them. */
  classMismatchCost?: number;
  /**
   * A lost track is matched with both boxes widened by this fraction of their size on each side
   * (buffered IoU), so an object coming out from behind another, first seen as a sliver, still meets
   * its predicted box.
   */
  lostBuffer?: number;
  /**
   * A lost track moves on from its last full-size sighting with the velocity measured between full-size
   * sightings, not with the Kalman velocity, which a box shrinking as its object goes behind another drags
   * towards zero. false: the plain Kalman prediction.
   */
  lostMotionFromHistory?: boolean;
}

export const DEFAULT_TRACK_MAX_MISSED_FRAMES = 30;

interface Track {
  id: number;
  state: KalmanBoxState;
  history: TrackHistory;
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
  private readonly lostBuffer: number;
  private readonly lostFromHistory: boolean;
  private tracks: Track[] = [];
  private nextId = 1;
  /** sampled frames seen */
  private step = 0;

  constructor(options: ByteTrackerOptions = {}) {
    this.kf = new KalmanBoxFilter(options);
    this.maxMissed = options.maxMissedFrames ?? DEFAULT_TRACK_MAX_MISSED_FRAMES;
    this.highScore = options.highScore ?? 0.5;
    this.firstCost = options.firstMatchCost ?? 0.8;
    this.secondCost = options.secondMatchCost ?? 0.5;
    this.tentativeCost = options.tentativeMatchCost ?? 0.7;
    this.classCost = options.classMismatchCost ?? Infinity;
    this.lostBuffer = options.lostBuffer ?? 0.3;
    this.lostFromHistory = options.lostMotionFromHistory ?? true;
    if (!Number.isInteger(this.maxMissed) || this.maxMissed < 0)
      throw new Error(`tracker: maxMissedFrames must be an integer >= 0, got ${this.maxMissed}`);
  }

  /** Tracks currently kept (seen or within maxMissedFrames); for tests and memory checks. */
  get size(): number {
    return this.tracks.length;
  }

  /** Ids for one sampled frame's detections, in the same order. */
  update(detections: readonly TrackInput[]): number[] {
    this.step++;
    const ids = new Array<number>(detections.length).fill(0);
    for (const t of this.tracks) {
      this.kf.predict(t.state, t.missed > 0);
      const fromHistory = t.missed > 0 && this.lostFromHistory ? t.history.predict(this.step) : undefined;
      t.predicted = fromHistory ?? this.kf.box(t.state);
    }
    const high: number[] = [];
    const low: number[] = [];
    detections.forEach((d, i) => (d.confidence >= this.highScore ? high : low).push(i));
    const active = this.tracks.filter((t) => t.confirmed && t.missed === 0);
    const lost = this.tracks.filter((t) => t.confirmed && t.missed > 0);
    const tentative = this.tracks.filter((t) => !t.confirmed);
    const matched = new Set<Track>();
    const m = (tracks: Track[], dets: number[], limit: number) =>
      this.match(tracks, dets, detections, limit, ids, matched);

    // 1: high-score boxes, first to the tracks seen on the last frame, then to lost tracks (buffered).
    const a1 = m(active, high, this.firstCost);
    const l1 = m(lost, a1.detections, this.firstCost);
    // 2: low-score boxes (often a partly hidden object) continue the tracks still unmatched. A lost
    // track takes one with the first pass's looser limit: an object coming back into view is first
    // seen as a sliver, scored low, and every box gets an id anyway, so a new one would be the worse guess.
    const a2 = m(a1.tracks, low, this.secondCost);
    m(l1.tracks, a2.detections, this.firstCost);
    // 3: tracks born last frame against the boxes left (a track born from a low-score box may continue with one).
    const left = [...l1.detections, ...low.filter((i) => ids[i] === 0)].sort((x, y) => x - y);
    const rest = m(tentative, left, this.tentativeCost);

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
    // a box that finds no partner on the next frame is dropped then.
    for (const i of rest.detections) {
      const d = detections[i];
      const history = new TrackHistory();
      history.add(this.step, d.box);
      const t: Track = {
        id: this.nextId++,
        state: this.kf.initiate(d.box),
        history,
        classId: d.class_id,
        missed: 0,
        confirmed: false,
        predicted: d.box,
      };
      ids[i] = t.id;
      kept.push(t);
    }
    this.tracks = kept;
    return ids;
  }

  private match(
    tracks: Track[],
    dets: number[],
    detections: readonly TrackInput[],
    limit: number,
    ids: number[],
    matched: Set<Track>,
  ) {
    const cost = tracks.map((t) => {
      const buffer = t.missed > 0 ? this.lostBuffer : 0;
      return dets.map((i) => {
        const d = detections[i];
        const c = 1 - bufferedIou(t.predicted, d.box, buffer);
        return d.class_id === t.classId ? c : c + this.classCost;
      });
    });
    const a = linearAssignment(cost, dets.length, limit);
    for (const [ti, di] of a.matches) {
      const t = tracks[ti];
      const d = detections[dets[di]];
      if (t.missed > 0 && this.lostFromHistory) {
        // Back from a gap: restart the filter at the new box, moving as the object moved before the gap.
        const velocity = t.history.velocity();
        t.state = this.kf.initiate(d.box);
        if (velocity) [t.state.vel[0], t.state.vel[1]] = velocity;
      } else {
        this.kf.update(t.state, d.box);
      }
      t.history.add(this.step, d.box);
      t.classId = d.class_id;
      t.confirmed = true;
      t.missed = 0;
      ids[dets[di]] = t.id;
      matched.add(t);
    }
    return { tracks: a.unmatchedRows.map((i) => tracks[i]), detections: a.unmatchedColumns.map((j) => dets[j]) };
  }
}
