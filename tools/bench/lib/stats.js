'use strict';
// Percentiles and plain-text tables for the bench and fault reports.
function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

const fixed = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : String(v));

/** Rows of equal-length arrays; the first row is the header. */
function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r) => r.map((cell, c) => String(cell).padEnd(widths[c])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** One verdict line: "PASS p99 12.3 ms < 20 ms". */
const verdict = (ok, text) => `${ok ? 'PASS' : 'MISS'}  ${text}`;

module.exports = { percentile, fixed, table, verdict };
