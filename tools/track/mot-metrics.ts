/**
 * The standard multi-object tracking measures (CLEAR MOT's MOTA and ID switches, and IDF1 from
 * Ristani et al. 2016) for one clip: ground truth and hypotheses per frame, matched at IoU >= 0.5.
 * Ground truth marked `ignore` (mostly hidden) is neither a miss nor a false positive: a hypothesis
 * matching it is dropped before scoring.
 */
import { iou, linearAssignment } from '@video-jobs/pipeline';
import type { Box } from './scene';

export interface TruthBox {
  id: number;
  box: Box;
  ignore?: boolean;
}

export interface HypothesisBox {
  id: number;
  box: Box;
}

export interface MotScores {
  frames: number;
  truth: number;
  hypotheses: number;
  misses: number;
  falsePositives: number;
  idSwitches: number;
  mota: number;
  idf1: number;
  idPrecision: number;
  idRecall: number;
  /** tracked ground truth ids / distinct hypothesis ids matched to them (fragmentation: 1 is ideal) */
  truthIds: number;
  hypothesisIds: number;
}

const MATCH_IOU = 0.5;

/** Per frame, the hypotheses left once those on ignored ground truth are dropped. */
function dropIgnored(truth: TruthBox[], hyps: HypothesisBox[]): { truth: TruthBox[]; hyps: HypothesisBox[] } {
  const kept = truth.filter((t) => !t.ignore);
  const ignored = truth.filter((t) => t.ignore);
  if (ignored.length === 0) return { truth: kept, hyps };
  // Hypotheses that match kept truth stay; of the rest, those on an ignored object go.
  const a = linearAssignment(
    kept.map((t) => hyps.map((h) => 1 - iou(t.box, h.box))),
    hyps.length,
    1 - MATCH_IOU,
  );
  const matched = new Set(a.matches.map(([, j]) => j));
  return {
    truth: kept,
    hyps: hyps.filter((h, j) => matched.has(j) || !ignored.some((t) => iou(t.box, h.box) >= MATCH_IOU)),
  };
}

export function scoreMot(truthFrames: TruthBox[][], hypFrames: HypothesisBox[][]): MotScores {
  if (truthFrames.length !== hypFrames.length)
    throw new Error(`mot: ${truthFrames.length} truth frames but ${hypFrames.length} hypothesis frames`);
  let truthCount = 0;
  let hypCount = 0;
  let misses = 0;
  let fps = 0;
  let switches = 0;
  const lastMatch = new Map<number, number>(); // truth id -> hypothesis id it was last matched to
  const pairFrames = new Map<string, number>(); // "t,h" -> frames where they overlap >= MATCH_IOU
  const truthTotal = new Map<number, number>();
  const hypTotal = new Map<number, number>();
  for (let f = 0; f < truthFrames.length; f++) {
    const { truth, hyps } = dropIgnored(truthFrames[f], hypFrames[f]);
    truthCount += truth.length;
    hypCount += hyps.length;
    for (const t of truth) truthTotal.set(t.id, (truthTotal.get(t.id) ?? 0) + 1);
    for (const h of hyps) hypTotal.set(h.id, (hypTotal.get(h.id) ?? 0) + 1);
    for (const t of truth)
      for (const h of hyps)
        if (iou(t.box, h.box) >= MATCH_IOU)
          pairFrames.set(`${t.id},${h.id}`, (pairFrames.get(`${t.id},${h.id}`) ?? 0) + 1);
    // CLEAR MOT: a correspondence from the last frame is kept while it still overlaps, the rest are matched optimally.
    const cost = truth.map((t) =>
      hyps.map((h) => {
        const o = iou(t.box, h.box);
        if (o < MATCH_IOU) return Infinity;
        return lastMatch.get(t.id) === h.id ? 0 : 1 - o + 1;
      }),
    );
    const a = linearAssignment(cost, hyps.length, 2);
    for (const [i, j] of a.matches) {
      const prev = lastMatch.get(truth[i].id);
      if (prev !== undefined && prev !== hyps[j].id) switches++;
      lastMatch.set(truth[i].id, hyps[j].id);
    }
    misses += a.unmatchedRows.length;
    fps += a.unmatchedColumns.length;
  }
  // IDF1: the one-to-one truth-to-hypothesis id mapping with the most frames in common.
  const tIds = [...truthTotal.keys()].sort((x, y) => x - y);
  const hIds = [...hypTotal.keys()].sort((x, y) => x - y);
  const most = Math.max(1, ...pairFrames.values());
  const idCost = tIds.map((t) =>
    hIds.map((h) => (pairFrames.has(`${t},${h}`) ? most - pairFrames.get(`${t},${h}`)! : Infinity)),
  );
  // Pair cost most - frames, each unassigned side most/2: the total is constant - IDTP, so the optimum maximises IDTP.
  const a = linearAssignment(idCost, hIds.length, most);
  const idtp = a.matches.reduce((s, [i, j]) => s + (pairFrames.get(`${tIds[i]},${hIds[j]}`) ?? 0), 0);
  const matchedHyps = new Set<number>();
  for (const key of pairFrames.keys()) matchedHyps.add(Number(key.split(',')[1]));
  return {
    frames: truthFrames.length,
    truth: truthCount,
    hypotheses: hypCount,
    misses,
    falsePositives: fps,
    idSwitches: switches,
    mota: truthCount === 0 ? 0 : 1 - (misses + fps + switches) / truthCount,
    idf1: truthCount + hypCount === 0 ? 0 : (2 * idtp) / (truthCount + hypCount),
    idPrecision: hypCount === 0 ? 0 : idtp / hypCount,
    idRecall: truthCount === 0 ? 0 : idtp / truthCount,
    truthIds: tIds.length,
    hypothesisIds: matchedHyps.size,
  };
}
