import type { Box } from '../types';

const width = (b: Box) => b[2] - b[0];
const height = (b: Box) => b[3] - b[1];

/**
 * A track's last sightings, to predict where an object went while it was hidden. An object
 * going behind another is still detected for a while as a shrinking box (its visible part), whose
 * centre slows down or stops; so motion is measured between *full-size* sightings only (width and
 * height within `fullSize` of the largest in the window), and a lost object is moved on from its
 * last full-size box at that velocity.
 */
export class TrackHistory {
  private readonly seen: Array<{ step: number; box: Box }> = [];

  constructor(
    private readonly capacity = 30,
    /** a box counts as full size if its width and height are at least this fraction of the window's largest */
    private readonly fullSize = 0.85,
    /** velocity is measured over at most this many steps before the last full-size sighting */
    private readonly span = 10,
  ) {}

  add(step: number, box: Box): void {
    this.seen.push({ step, box });
    if (this.seen.length > this.capacity) this.seen.shift();
  }

  private fullSized() {
    let maxW = 0;
    let maxH = 0;
    for (const s of this.seen) {
      maxW = Math.max(maxW, width(s.box));
      maxH = Math.max(maxH, height(s.box));
    }
    return this.seen.filter((s) => width(s.box) >= this.fullSize * maxW && height(s.box) >= this.fullSize * maxH);
  }

  /** Centre velocity per step between full-size sightings, or undefined with fewer than two. */
  velocity(): [number, number] | undefined {
    const full = this.fullSized();
    if (full.length < 2) return undefined;
    const last = full[full.length - 1];
    const first = full.find((s) => last.step - s.step <= this.span) ?? full[0];
    if (first === last) return undefined;
    const dt = last.step - first.step;
    return [
      ((last.box[0] + last.box[2]) / 2 - (first.box[0] + first.box[2]) / 2) / dt,
      ((last.box[1] + last.box[3]) / 2 - (first.box[1] + first.box[3]) / 2) / dt,
    ];
  }

  /** The last full-size box moved on to `step` at that velocity; undefined when there is no history. */
  predict(step: number): Box | undefined {
    const full = this.fullSized();
    const last = full[full.length - 1];
    if (!last) return undefined;
    const [vx, vy] = this.velocity() ?? [0, 0];
    const dt = step - last.step;
    return [last.box[0] + vx * dt, last.box[1] + vy * dt, last.box[2] + vx * dt, last.box[3] + vy * dt];
  }
}
