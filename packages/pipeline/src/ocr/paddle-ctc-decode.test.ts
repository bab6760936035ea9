import { ctcCharset, ctcGreedyDecode } from './paddle-ctc-decode';

/** A [batch, steps, classes] tensor where each step puts probability `p` on one class, the rest spread evenly. */
function steps(rows: Array<[number, number]>[], classes: number): Float32Array {
  const out = new Float32Array(rows.length * rows[0].length * classes);
  rows.forEach((item, b) =>
    item.forEach(([cls, p], t) => {
      const row = (b * item.length + t) * classes;
      out.fill((1 - p) / (classes - 1), row, row + classes);
      out[row + cls] = p;
    }),
  );
  return out;
}

describe('ctcCharset', () => {
  it('puts the blank first and a space last, one dictionary line per class', () => {
    expect(ctcCharset('a\nb\nc')).toEqual(['', 'a', 'b', 'c', ' ']);
  });

  it('ignores a trailing newline and Windows line ends', () => {
    expect(ctcCharset('a\r\nb\r\n')).toEqual(['', 'a', 'b', ' ']);
  });
});

describe('ctcGreedyDecode', () => {
  const charset = ['', 'a', 'b', ' '];

  it('merges repeats, drops blanks, and keeps a letter repeated across a blank', () => {
    const probs = steps(
      [
        [
          [1, 0.9],
          [1, 0.8],
          [0, 0.9],
          [1, 0.7],
          [2, 0.6],
          [2, 0.9],
          [3, 0.5],
          [1, 0.8],
        ],
      ],
      4,
    );
    const out = ctcGreedyDecode(probs, 8, 4, 0, charset);
    expect(out.text).toBe('aab a');
    // Mean of the step probabilities that started a character: 0.9, 0.7, 0.6, 0.5, 0.8.
    expect(out.confidence).toBeCloseTo((0.9 + 0.7 + 0.6 + 0.5 + 0.8) / 5, 5);
  });

  it('decodes each item of a batch from its own rows', () => {
    const probs = steps(
      [
        [
          [1, 0.9],
          [0, 0.9],
        ],
        [
          [2, 0.8],
          [0, 0.9],
        ],
      ],
      4,
    );
    expect(ctcGreedyDecode(probs, 2, 4, 0, charset).text).toBe('a');
    expect(ctcGreedyDecode(probs, 2, 4, 1, charset).text).toBe('b');
  });

  it('reads nothing, with confidence 0, from all blanks', () => {
    expect(
      ctcGreedyDecode(
        steps(
          [
            [
              [0, 0.9],
              [0, 0.9],
            ],
          ],
          4,
        ),
        2,
        4,
        0,
        charset,
      ),
    ).toEqual({ text: '', confidence: 0 });
  });
});
