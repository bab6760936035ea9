import { iou } from '../iou';
import type { Box } from '../types';

export interface Candidate {
  classId: number;
  score: number;
  box: Box;
}

/** Highest score first; ties broken by class and position so the order never depends on input order. */
export const byScore = (a: Candidate, b: Candidate) =>
  b.score - a.score ||
  a.classId - b.classId ||
  a.box[0] - b.box[0] ||
  a.box[1] - b.box[1] ||
  a.box[2] - b.box[2] ||
  a.box[3] - b.box[3];

/**
 * Greedy non-maximum suppression within each class: a box is dropped when it overlaps a
 * higher-scoring box of the same class by more than `iouThreshold`. Boxes of different classes
 * never suppress each other (a person on a bicycle keeps both). Returns at most `maxKept`, best first.
 */
export function nmsPerClass(candidates: Candidate[], iouThreshold = 0.45, maxKept = 300): Candidate[] {
  const sorted = [...candidates].sort(byScore);
  const kept: Candidate[] = [];
  for (const c of sorted) {
    if (kept.length >= maxKept) break;
    if (!kept.some((k) => k.classId === c.classId && iou(k.box, c.box) > iouThreshold)) kept.push(c);
  }
  return kept;
}
