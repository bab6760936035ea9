import { sortReadingOrder } from './paddle-reading-order';

describe('sortReadingOrder', () => {
  const line = (text: string, box: [number, number, number, number]) => ({ text, confidence: 0.9, box });

  it('keeps a row together though its tops differ, and orders rows top to bottom', () => {
    const lines = [
      line('second-row', [10, 60, 100, 90]),
      line('right', [200, 12, 300, 40]),
      line('left', [10, 10, 100, 38]),
    ];
    expect(sortReadingOrder(lines).map((l) => l.text)).toEqual(['left', 'right', 'second-row']);
  });

  it('gives one order whatever the input order', () => {
    const lines = [line('a', [0, 0, 10, 10]), line('b', [20, 1, 30, 11]), line('c', [0, 30, 10, 40])];
    const reversed = [...lines].reverse();
    expect(sortReadingOrder(reversed)).toEqual(sortReadingOrder(lines));
  });
});
