import type { Box } from './scene';
import { scoreMot } from './mot-metrics';

const b = (x: number): Box => [x, 0, x + 10, 20];

describe('scoreMot', () => {
  it('scores a perfect tracker 1 on MOTA and IDF1 with no switches', () => {
    const truth = [0, 1, 2].map((f) => [
      { id: 1, box: b(f) },
      { id: 2, box: b(50 + f) },
    ]);
    const hyps = [0, 1, 2].map((f) => [
      { id: 7, box: b(f) },
      { id: 9, box: b(50 + f) },
    ]);
    expect(scoreMot(truth, hyps)).toMatchObject({ mota: 1, idf1: 1, idSwitches: 0, misses: 0, falsePositives: 0 });
  });

  it('counts an id switch and lowers IDF1 when an object changes id half way', () => {
    const truth = [0, 1, 2, 3].map((f) => [{ id: 1, box: b(f) }]);
    const hyps = [0, 1, 2, 3].map((f) => [{ id: f < 2 ? 1 : 2, box: b(f) }]);
    const s = scoreMot(truth, hyps);
    expect(s.idSwitches).toBe(1);
    expect(s.mota).toBeCloseTo(0.75);
    expect(s.idf1).toBeCloseTo(0.5);
  });

  it('counts misses and false positives, and ignores hypotheses on ignored (hidden) truth', () => {
    const truth = [
      [
        { id: 1, box: b(0) },
        { id: 2, box: b(100), ignore: true },
      ],
      [{ id: 1, box: b(1) }],
    ];
    const hyps = [
      [{ id: 1, box: b(100) }],
      [
        { id: 1, box: b(1) },
        { id: 3, box: b(300) },
      ],
    ];
    const s = scoreMot(truth, hyps);
    expect(s.truth).toBe(2);
    expect(s.misses).toBe(1);
    expect(s.falsePositives).toBe(1);
    expect(s.hypotheses).toBe(2);
  });
});
