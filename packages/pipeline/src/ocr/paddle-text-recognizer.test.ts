import { batches, cropOf } from './paddle-text-recognizer';

describe('cropOf', () => {
  it('covers the box with whole pixels inside the image, at least one pixel', () => {
    expect(cropOf([10.4, 20.6, 30.2, 40.9], 100, 100)).toEqual({ x: 10, y: 20, width: 21, height: 21 });
    expect(cropOf([99.5, 99.5, 99.5, 99.5], 100, 100)).toEqual({ x: 99, y: 99, width: 1, height: 1 });
  });
});

describe('batches', () => {
  const options = { batchSize: 3, maxWidthRatio: 1.5 };

  it('closes a batch at the size limit', () => {
    expect(batches([96, 96, 96, 96, 96], options)).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
  });

  it('closes a batch before a crop that would make padding waste more than the width ratio', () => {
    expect(batches([96, 120, 150, 400, 500], options)).toEqual([[0, 1], [2], [3, 4]]);
  });

  it('gives nothing for no crops', () => {
    expect(batches([], options)).toEqual([]);
  });
});
