import { RangeNotSatisfiableError } from '@video-jobs/core';
import { parseByteRange } from './byte-range';

describe(parseByteRange.name, () => {
  it('reads first bytes, a middle range, an open end and a suffix', () => {
    expect(parseByteRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseByteRange('bytes=400-499', 1000)).toEqual({ start: 400, end: 499 });
    expect(parseByteRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseByteRange('bytes=-100', 1000)).toEqual({ start: 900, end: 999 });
  });

  it('clamps an end past the last byte and a suffix longer than the object', () => {
    expect(parseByteRange('bytes=990-5000', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseByteRange('bytes=-5000', 1000)).toEqual({ start: 0, end: 999 });
  });

  it('ignores what it may ignore: no header, other units, malformed values, several ranges', () => {
    for (const h of [undefined, '', 'items=0-1', 'bytes=abc', 'bytes=-', 'bytes=5-2', 'bytes=0-1,5-6']) {
      expect(parseByteRange(h, 1000)).toBeUndefined();
    }
  });

  it('refuses a range that starts at or past the end, with the size for Content-Range', () => {
    for (const h of ['bytes=1000-', 'bytes=1000-2000', 'bytes=-0']) {
      let caught: unknown;
      try {
        parseByteRange(h, 1000);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(RangeNotSatisfiableError);
      expect((caught as RangeNotSatisfiableError).size).toBe(1000);
    }
  });
});
