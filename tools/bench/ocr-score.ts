/**
 * Scoring for `pnpm bench:ocr`: character accuracy (1 - CER, whitespace and case ignored) and the checks on
 * the traffic-camera clock. Pure functions, so they are unit-tested (ocr-score.test.js).
 */

/** Lower-cased, all whitespace removed: the benchmark does not score spacing or case. */
export function normalise(text: string): string {
  return text.toLowerCase().replace(/\s+/g, '');
}

/** Levenshtein distance over code points (so a CJK character or an emoji counts once). */
export function editDistance(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[t.length];
}

export interface CharErrors {
  edits: number;
  chars: number;
}

/** Edits needed to turn what was read into the reference, and the reference length, after normalising. */
export function charErrors(read: string, reference: string): CharErrors {
  const ref = normalise(reference);
  return { edits: editDistance(normalise(read), ref), chars: [...ref].length };
}

/** 1 - (total edits / total reference characters) over a set of frames, floored at 0. */
export function charAccuracy(scores: CharErrors[]): number {
  const edits = scores.reduce((n, s) => n + s.edits, 0);
  const chars = scores.reduce((n, s) => n + s.chars, 0);
  return chars === 0 ? 0 : Math.max(0, 1 - edits / chars);
}

/** [x1, y1, x2, y2] */
export type Box = number[];

/** Whether boxes a and b overlap. */
export function intersects(a: Box, b: Box): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

export const DATE = '04-16-2012';
/** A clock time HH:MM:SS not glued to more digits (the camera writes a weekday in Chinese next to it). */
const TIME = /(?<!\d)([01]\d|2[0-3]):[0-5]\d:[0-5]\d(?!\d)/;

/** What a frame of the traffic-camera clip yields: the date and a well-formed time, anywhere in its lines. */
export function clockReads(lines: { text: string }[]): { date: boolean; time: string | undefined } {
  const all = lines.map((l) => l.text.replace(/\s+/g, '')).join('\n');
  const time = all.match(TIME);
  return { date: all.includes(DATE), time: time ? time[0] : undefined };
}
