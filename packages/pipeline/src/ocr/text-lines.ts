import type { Box, TextLine } from '../types';

/** A word an OCR engine read: text, confidence 0..1, box in image pixels. */
export interface OcrWord {
  text: string;
  confidence: number;
  box: Box;
}

/** A word worth keeping has at least one letter or digit ("====", "—", "|" are clutter). */
export const hasLetterOrDigit = (text: string) => /[\p{L}\p{N}]/u.test(text);

/**
 * Groups words into lines of text: words join a line when they sit on the same row (their vertical
 * extents overlap by at least half the smaller height) and the horizontal gap to the line's last word
 * is under `maxGap` line heights. Engines in sparse mode return words (or one-word "lines") in an
 * order that depends on their internal layout analysis; rebuilding lines here gives one rule for all.
 * Output is sorted top-to-bottom, then left-to-right, so the same words always give the same lines.
 */
export function groupWordsIntoLines(words: OcrWord[], maxGap = 1.2): TextLine[] {
  const sorted = [...words].sort((a, b) => a.box[0] - b.box[0] || a.box[1] - b.box[1] || a.text.localeCompare(b.text));
  const lines: OcrWord[][] = [];
  for (const word of sorted) {
    const line = lines.find((l) => continues(l[l.length - 1], word, maxGap));
    if (line) line.push(word);
    else lines.push([word]);
  }
  return lines
    .map(toTextLine)
    .sort((a, b) => rowKey(a.box) - rowKey(b.box) || a.box[0] - b.box[0] || a.box[1] - b.box[1]);
}

function continues(last: OcrWord, next: OcrWord, maxGap: number): boolean {
  const hLast = last.box[3] - last.box[1];
  const hNext = next.box[3] - next.box[1];
  const overlap = Math.min(last.box[3], next.box[3]) - Math.max(last.box[1], next.box[1]);
  if (overlap < 0.5 * Math.min(hLast, hNext)) return false;
  const gap = next.box[0] - last.box[2];
  return gap <= maxGap * Math.max(hLast, hNext);
}

function toTextLine(words: OcrWord[]): TextLine {
  const box: Box = [
    Math.min(...words.map((w) => w.box[0])),
    Math.min(...words.map((w) => w.box[1])),
    Math.max(...words.map((w) => w.box[2])),
    Math.max(...words.map((w) => w.box[3])),
  ];
  // Weight by length: a line's confidence is mostly about its long words, not a stray "4".
  const chars = words.reduce((n, w) => n + w.text.length, 0);
  const confidence = words.reduce((s, w) => s + w.confidence * w.text.length, 0) / chars;
  return { text: words.map((w) => w.text).join(' '), confidence, box };
}

/** Lines are ordered by their vertical centre, bucketed so a one-pixel wobble does not reorder them. */
const rowKey = (box: Box) => Math.round((box[1] + box[3]) / 2 / 8);
