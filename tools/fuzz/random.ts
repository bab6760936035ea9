/**
 * A small seeded PRNG (mulberry32), so a corpus is a function of (seed, index) alone: the same
 * flags rebuild the same files, and `--index n` rebuilds one file without the ones before it.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The generator for file `index` of a corpus seeded with `seed`. */
  static forFile(seed: number, index: number): Rng {
    // Mix the two so neighbouring indexes do not give correlated streams.
    let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
    return new Rng(h ^ (h >>> 13));
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** An even integer in [min, max] (4:2:0 video needs even sizes). */
  even(min: number, max: number): number {
    return this.int(Math.ceil(min / 2), Math.floor(max / 2)) * 2;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}
