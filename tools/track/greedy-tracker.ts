import { iou, type TrackInput } from '@video-jobs/pipeline';

/**
 * The naive baseline the issue compares against: each box takes the id of the box of the same class
 * on the previous sampled frame it overlaps most (IoU >= minIou), best pairs first; no motion model,
 * no memory of missed frames.
 */
export class GreedyIouTracker {
  private last: Array<TrackInput & { id: number }> = [];
  private nextId = 1;

  constructor(private readonly minIou = 0.3) {}

  update(detections: readonly TrackInput[]): number[] {
    const pairs: Array<[number, number, number]> = [];
    detections.forEach((d, i) =>
      this.last.forEach((t, j) => {
        const o = t.class_id === d.class_id ? iou(t.box, d.box) : 0;
        if (o >= this.minIou) pairs.push([o, i, j]);
      }),
    );
    pairs.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
    const ids = new Array<number>(detections.length).fill(0);
    const taken = new Set<number>();
    for (const [, i, j] of pairs) {
      if (ids[i] || taken.has(j)) continue;
      ids[i] = this.last[j].id;
      taken.add(j);
    }
    for (let i = 0; i < ids.length; i++) if (!ids[i]) ids[i] = this.nextId++;
    this.last = detections.map((d, i) => ({ ...d, id: ids[i] }));
    return ids;
  }
}
