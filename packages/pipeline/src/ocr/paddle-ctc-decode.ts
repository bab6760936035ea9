/**
 * Greedy CTC decoding of the PP-OCR recogniser's output (DB+CTC pipeline of PaddleOCR, `CTCLabelDecode`).
 *
 * The recogniser emits, per time step, a probability for every class: class 0 is the CTC blank, then one
 * class per dictionary line, then a space (the model is exported with `use_space_char`). Greedy decoding takes
 * the best class per step, merges repeats and drops blanks; the confidence is the mean probability of the
 * steps that produced a character, as PaddleOCR reports it.
 */

export interface DecodedText {
  text: string;
  /** 0..1; 0 when nothing was read. */
  confidence: number;
}

/** The class list of a PP-OCR recogniser: blank, the dictionary's lines in order, then a space. */
export function ctcCharset(dictionary: string): string[] {
  // The dictionary is one character a line; the last line has no newline, and lines may end in \r on Windows.
  const chars = dictionary.split('\n').map((line) => line.replace(/\r$/, ''));
  if (chars.length > 0 && chars[chars.length - 1] === '') chars.pop();
  return ['', ...chars, ' '];
}

/**
 * Decodes item `item` of a [batch, steps, classes] probability tensor.
 * `charset[0]` is the blank; `charset.length` must equal `classes` (checked once when the model is loaded).
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  steps: number,
  classes: number,
  item: number,
  charset: readonly string[],
): DecodedText {
  let text = '';
  let sum = 0;
  let kept = 0;
  let previous = -1;
  const base = item * steps * classes;
  for (let t = 0; t < steps; t++) {
    const row = base + t * classes;
    let best = 0;
    let bestP = probs[row];
    for (let c = 1; c < classes; c++) {
      const p = probs[row + c];
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    // A character is emitted when a non-blank class starts; its repeats on the following steps are the same one.
    if (best !== 0 && best !== previous) {
      text += charset[best];
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept === 0 ? 0 : sum / kept };
}
