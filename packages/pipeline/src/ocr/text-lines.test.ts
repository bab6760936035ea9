import { groupWordsIntoLines, hasLetterOrDigit, type OcrWord } from './text-lines';

const w = (text: string, x1: number, y1: number, x2: number, y2: number, confidence = 0.9): OcrWord => ({
  text,
  confidence,
  box: [x1, y1, x2, y2],
});

describe('groupWordsIntoLines', () => {
  it('joins words on one row, left to right, with the union box', () => {
    const lines = groupWordsIntoLines([
      w('WEST', 220, 100, 300, 130),
      w('EXIT', 40, 100, 120, 130),
      w('42', 140, 101, 190, 131),
    ]);
    expect(lines).toEqual([{ text: 'EXIT 42 WEST', confidence: expect.any(Number), box: [40, 100, 300, 131] }]);
  });

  it('splits words far apart on the same row into separate lines', () => {
    const lines = groupWordsIntoLines([w('LEFT', 10, 10, 60, 30), w('RIGHT', 500, 10, 580, 30)]);
    expect(lines.map((l) => l.text)).toEqual(['LEFT', 'RIGHT']);
  });

  it('puts rows top to bottom', () => {
    const lines = groupWordsIntoLines([w('PLATFORM', 10, 80, 200, 110), w('GATE', 10, 10, 100, 40)]);
    expect(lines.map((l) => l.text)).toEqual(['GATE', 'PLATFORM']);
  });

  it('weights line confidence by word length', () => {
    const [line] = groupWordsIntoLines([w('ABCD', 0, 0, 40, 10, 1), w('E', 45, 0, 50, 10, 0.5)]);
    expect(line.confidence).toBeCloseTo((4 * 1 + 0.5) / 5, 10);
  });

  it('returns nothing for no words', () => {
    expect(groupWordsIntoLines([])).toEqual([]);
  });
});

describe('hasLetterOrDigit', () => {
  it.each([
    ['====', false],
    ['—', false],
    ['|', false],
    ['KX', true],
    ['4821', true],
    ['é', true],
  ])('%s -> %s', (text, expected) => {
    expect(hasLetterOrDigit(text)).toBe(expected);
  });
});
