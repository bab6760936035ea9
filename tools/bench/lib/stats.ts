// Percentiles and plain-text tables for the bench and fault reports.
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const fixed = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

export type Cell = string | number | undefined;

/** Rows of equal-length arrays; the first row is the header. */
export function table(rows: Cell[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r: Cell[]) =>
    r
      .map((cell, c) => String(cell).padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** One verdict line: "PASS p99 12.3 ms < 20 ms". */
export const verdict = (ok: boolean, text: string): string => `${ok ? 'PASS' : 'MISS'}  ${text}`;
