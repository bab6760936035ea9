import { linearAssignment } from './linear-assignment';

function bruteForce(cost: number[][], m: number, limit: number): number {
  // Best total over all partial assignments, unassigned rows/columns costing limit/2 each.
  const n = cost.length;
  let best = Infinity;
  const used = new Array<boolean>(m).fill(false);
  const go = (i: number, total: number, matched: number) => {
    if (i === n) {
      best = Math.min(best, total + (n - matched) * (limit / 2) + (m - matched) * (limit / 2));
      return;
    }
    go(i + 1, total, matched);
    for (let j = 0; j < m; j++) {
      if (used[j] || !(cost[i][j] <= limit)) continue;
      used[j] = true;
      go(i + 1, total + cost[i][j], matched + 1);
      used[j] = false;
    }
  };
  go(0, 0, 0);
  return best;
}

describe('linearAssignment', () => {
  it('finds the optimal pairing where greedy picking of the cheapest pair does not', () => {
    // Greedy takes (0,0)=0.1 and then must take (1,1)=0.9; the optimum is (0,1)+(1,0) = 0.4.
    const a = linearAssignment(
      [
        [0.1, 0.2],
        [0.2, 0.9],
      ],
      2,
      1,
    );
    expect(a.matches).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('leaves rows and columns unmatched when every pair costs more than the limit', () => {
    const a = linearAssignment(
      [
        [0.95, 0.3],
        [0.99, 0.9],
      ],
      2,
      0.8,
    );
    expect(a.matches).toEqual([[0, 1]]);
    expect(a.unmatchedRows).toEqual([1]);
    expect(a.unmatchedColumns).toEqual([0]);
  });

  it('handles empty and rectangular inputs, and Infinity as forbidden', () => {
    expect(linearAssignment([], 3, 0.8)).toEqual({ matches: [], unmatchedRows: [], unmatchedColumns: [0, 1, 2] });
    expect(linearAssignment([[], []], 0, 0.8)).toEqual({ matches: [], unmatchedRows: [0, 1], unmatchedColumns: [] });
    const a = linearAssignment([[Infinity, 0.5, 0.1]], 3, 0.8);
    expect(a.matches).toEqual([[0, 2]]);
  });

  it('matches the brute-force optimum on random matrices', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(rand() * 5);
      const m = 1 + Math.floor(rand() * 5);
      const cost = Array.from({ length: n }, () => Array.from({ length: m }, () => rand()));
      const limit = 0.3 + rand() * 0.6;
      const a = linearAssignment(cost, m, limit);
      const total =
        a.matches.reduce((s, [i, j]) => s + cost[i][j], 0) +
        (a.unmatchedRows.length + a.unmatchedColumns.length) * (limit / 2);
      expect(total).toBeCloseTo(bruteForce(cost, m, limit), 9);
    }
  });
});
