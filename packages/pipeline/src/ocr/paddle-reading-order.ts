import type { TextLine } from '../types';

/**
 * Sorts lines top-to-bottom, then left-to-right within a row. Two lines are on one row when the second's
 * vertical centre lies inside the first's box: detected boxes on one visual row rarely share a top edge
 * exactly, so sorting on y1 alone would order them by noise. Ties fall back to coordinates and text, so the
 * same lines always come out in the same order (DESIGN §6: byte-identical results).
 */
export function sortReadingOrder(lines: readonly TextLine[]): TextLine[] {
  const byTop = [...lines].sort((a, b) => a.box[1] - b.box[1] || a.box[0] - b.box[0] || compareRest(a, b));
  const rows: TextLine[][] = [];
  for (const line of byTop) {
    const row = rows[rows.length - 1];
    const centre = (line.box[1] + line.box[3]) / 2;
    if (row && centre >= row[0].box[1] && centre <= row[0].box[3]) row.push(line);
    else rows.push([line]);
  }
  return rows.flatMap((row) => row.sort((a, b) => a.box[0] - b.box[0] || a.box[1] - b.box[1] || compareRest(a, b)));
}

function compareRest(a: TextLine, b: TextLine): number {
  return a.box[2] - b.box[2] || a.box[3] - b.box[3] || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
}
