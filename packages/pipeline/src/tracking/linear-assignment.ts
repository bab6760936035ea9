/**
 * Minimum-cost assignment of rows to columns where a pair costing more than `costLimit` is never
 * made (lapjv's cost_limit, as ByteTrack uses it): the matrix is extended to (n+m)x(n+m) with
 * "leave unassigned" entries costing costLimit/2, then solved exactly with the Hungarian method
 * (shortest augmenting paths with potentials, O(k^3)). Ties resolve by index, so the answer is
 * deterministic for the same input.
 */
export interface Assignment {
  /** [row, column] pairs, by row */
  matches: Array<[number, number]>;
  unmatchedRows: number[];
  unmatchedColumns: number[];
}

export function linearAssignment(cost: readonly (readonly number[])[], columns: number, costLimit: number): Assignment {
  const n = cost.length;
  const m = columns;
  if (n === 0 || m === 0) return { matches: [], unmatchedRows: range(n), unmatchedColumns: range(m) };
  const k = n + m;
  const half = costLimit / 2;
  // Anything above the limit is replaced by a cost no optimum would pick over leaving both unassigned.
  const forbidden = costLimit * 2 + 1;
  const at = (i: number, j: number): number => {
    if (i < n && j < m) {
      const c = cost[i][j];
      return Number.isFinite(c) && c <= costLimit ? c : forbidden;
    }
    if (i >= n && j >= m) return 0;
    return half;
  };
  const rowOfColumn = hungarian(k, at);
  const matches: Array<[number, number]> = [];
  const rowMatched = new Array<boolean>(n).fill(false);
  const colMatched = new Array<boolean>(m).fill(false);
  for (let j = 0; j < m; j++) {
    const i = rowOfColumn[j];
    if (i < n && at(i, j) <= costLimit) {
      matches.push([i, j]);
      rowMatched[i] = true;
      colMatched[j] = true;
    }
  }
  matches.sort((a, b) => a[0] - b[0]);
  return {
    matches,
    unmatchedRows: range(n).filter((i) => !rowMatched[i]),
    unmatchedColumns: range(m).filter((j) => !colMatched[j]),
  };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** Square Hungarian method (e-maxx formulation); returns the row assigned to each column. */
function hungarian(k: number, at: (i: number, j: number) => number): Int32Array {
  const u = new Float64Array(k + 1);
  const v = new Float64Array(k + 1);
  const p = new Int32Array(k + 1); // p[j]: row (1-based) holding column j; p[0] is the row being placed
  const way = new Int32Array(k + 1);
  const minv = new Float64Array(k + 1);
  const used = new Uint8Array(k + 1);
  for (let i = 1; i <= k; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= k; j++) {
        if (used[j]) continue;
        const cur = at(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= k; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowOfColumn = new Int32Array(k);
  for (let j = 1; j <= k; j++) rowOfColumn[j - 1] = p[j] - 1;
  return rowOfColumn;
}
