import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCorpusFile } from './corpus';
import { claimDuration, findBoxes, listBoxes } from './mp4-boxes';
import { Rng } from './random';
import { KINDS, recipeFor } from './recipes';

describe('fuzz corpus', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-test-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives the same stream for the same seed and index, and another for the next index', () => {
    const a = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(Rng.forFile(1, 3)),
    );
    const b = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(Rng.forFile(1, 3)),
    );
    const c = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.next()
      )(Rng.forFile(1, 4)),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('cycles through every recipe kind in order', () => {
    expect(KINDS.map((_, i) => recipeFor(i).kind)).toEqual(KINDS);
    expect(recipeFor(KINDS.length).kind).toBe(KINDS[0]);
    expect(recipeFor(5, ['truncated']).kind).toBe('truncated');
  });

  it('builds a file byte for byte the same twice from one seed', async () => {
    const index = KINDS.indexOf('resolution-change');
    const first = await buildCorpusFile(9, index, path.join(dir, 'a'));
    const second = await buildCorpusFile(9, index, path.join(dir, 'b'));
    expect(first.sha256).toBe(second.sha256);
    expect(first.bytes).toBeGreaterThan(1000);
  });

  it('makes headers claim a duration without changing the file size', async () => {
    const built = await buildCorpusFile(2, KINDS.indexOf('plain'), path.join(dir, 'c'));
    const data = fs.readFileSync(built.file);
    const claimed = claimDuration(data, 7 * 3600);
    expect(claimed.length).toBe(data.length);
    const mvhd = findBoxes(claimed, 'mvhd')[0];
    const timescale = claimed.readUInt32BE(mvhd.payload + 12);
    expect(claimed.readUInt32BE(mvhd.payload + 16) / timescale).toBe(7 * 3600);
    expect(listBoxes(claimed).map((b) => b.type)).toEqual(listBoxes(data).map((b) => b.type));
  });
});
