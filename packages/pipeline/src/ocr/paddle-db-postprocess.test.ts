import { DB_DEFAULTS, dbBoxes } from './paddle-db-postprocess';

/** A width x height probability map, 0.05 everywhere, with rectangles of given probability painted on. */
function probMap(width: number, height: number, rects: Array<[number, number, number, number, number]>): Float32Array {
  const map = new Float32Array(width * height).fill(0.05);
  for (const [x1, y1, x2, y2, p] of rects) {
    for (let y = y1; y < y2; y++) map.fill(p, y * width + x1, y * width + x2);
  }
  return map;
}

describe('dbBoxes', () => {
  it('finds each confident region and grows it by area * unclipRatio / perimeter on every side', () => {
    // 20x10 region: d = 200 * 1.5 / 60 = 5.
    const map = probMap(100, 60, [[10, 10, 30, 20, 0.9]]);
    const [found, ...rest] = dbBoxes(map, 100, 60);
    expect(rest).toEqual([]);
    expect(found.score).toBeCloseTo(0.9, 5);
    expect(found.box).toEqual([5, 5, 35, 25]);
  });

  it('keeps growing boxes inside the map', () => {
    const [found] = dbBoxes(probMap(100, 60, [[0, 0, 20, 10, 0.9]]), 100, 60);
    expect(found.box).toEqual([0, 0, 25, 15]);
  });

  it('joins diagonal neighbours into one region, as contour tracing does', () => {
    const map = probMap(50, 50, [
      [10, 10, 20, 20, 0.9],
      [20, 20, 30, 30, 0.9],
    ]);
    // Half the joined box is background, so lower the box threshold to look at connectivity alone.
    expect(dbBoxes(map, 50, 50, { ...DB_DEFAULTS, boxThreshold: 0.3 })).toHaveLength(1);
  });

  it('drops regions that are faint on average, thin, or tiny', () => {
    const map = probMap(200, 100, [
      [10, 10, 40, 20, 0.4], // above the pixel threshold, below the box threshold
      [10, 40, 150, 42, 0.95], // a 2-pixel rule
      [170, 80, 172, 82, 0.95], // a speck
      [60, 60, 120, 80, 0.8], // text
    ]);
    const found = dbBoxes(map, 200, 100);
    expect(found).toHaveLength(1);
    expect(found[0].box[0]).toBeLessThan(60);
  });

  it('returns regions in the order they are first met, row by row', () => {
    const map = probMap(100, 100, [
      [60, 10, 90, 20, 0.9],
      [10, 50, 40, 60, 0.9],
      [10, 12, 40, 22, 0.9],
    ]);
    // Each 30x10 region grows by 300 * 1.5 / 80 = 5.625.
    expect(dbBoxes(map, 100, 100).map((b) => b.box.slice(0, 2))).toEqual([
      [54.375, 4.375],
      [4.375, 6.375],
      [4.375, 44.375],
    ]);
  });

  it('stops after maxCandidates regions', () => {
    const rects: Array<[number, number, number, number, number]> = [];
    for (let i = 0; i < 5; i++) rects.push([i * 20, 0, i * 20 + 10, 10, 0.9]);
    expect(dbBoxes(probMap(100, 20, rects), 100, 20, { ...DB_DEFAULTS, maxCandidates: 3 })).toHaveLength(3);
  });

  it('refuses a map whose size does not match', () => {
    expect(() => dbBoxes(new Float32Array(10), 4, 4)).toThrow(RangeError);
  });
});
