import { charAccuracy, charErrors, clockReads, editDistance, intersects } from './ocr-score';

describe('ocr benchmark scoring', () => {
  it('counts edits over code points', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('星期', '星')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('ignores whitespace and case', () => {
    expect(charErrors('kx4821', 'KX 4821')).toEqual({ edits: 0, chars: 6 });
    expect(charErrors('KX 482', 'KX 4821')).toEqual({ edits: 1, chars: 6 });
  });

  it('weights accuracy by characters and never goes below 0', () => {
    expect(
      charAccuracy([
        { edits: 1, chars: 10 },
        { edits: 0, chars: 10 },
      ]),
    ).toBeCloseTo(0.95);
    expect(charAccuracy([{ edits: 30, chars: 10 }])).toBe(0);
  });

  it('finds the date and a well-formed time on the clock line, not a malformed one', () => {
    expect(clockReads([{ text: '04-16-2012星期一' }, { text: '15:34:20' }])).toEqual({ date: true, time: '15:34:20' });
    expect(clockReads([{ text: '04-16-2012星期-15:34:20' }])).toEqual({ date: true, time: '15:34:20' });
    expect(clockReads([{ text: '04-16-201' }, { text: '5:34:20' }, { text: '15:34:2' }])).toEqual({
      date: false,
      time: undefined,
    });
    expect(clockReads([{ text: '15:74:20' }]).time).toBeUndefined();
  });

  it('tells overlapping boxes from touching ones', () => {
    expect(intersects([0, 0, 10, 10], [5, 5, 20, 20])).toBe(true);
    expect(intersects([0, 0, 10, 10], [10, 0, 20, 10])).toBe(false);
  });
});
