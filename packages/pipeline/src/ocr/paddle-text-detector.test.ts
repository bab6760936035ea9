import { detectorInputSize, mapBoxToSource } from './paddle-text-detector';
import { cropOf } from './paddle-text-recognizer';
import { sortReadingOrder } from './paddle-reading-order';

describe('detectorInputSize', () => {
  it('scales the longer side down to the limit and rounds both sides to multiples of 32', () => {
    expect(detectorInputSize(1280, 720, 960)).toEqual({ width: 960, height: 544 });
    expect(detectorInputSize(1920, 1080, 960)).toEqual({ width: 960, height: 544 });
  });

  it('does not scale small images up, but keeps sides of at least 32', () => {
    expect(detectorInputSize(640, 360, 960)).toEqual({ width: 640, height: 352 });
    expect(detectorInputSize(10, 10, 960)).toEqual({ width: 32, height: 32 });
  });
});

describe('mapBoxToSource', () => {
  it('scales each axis by source / map size', () => {
    // 1280x720 detected at 960x544: x by 4/3, y by 720/544.
    expect(mapBoxToSource([96, 54.4, 192, 108.8], 960, 544, 1280, 720)).toEqual([128, 72, 256, 144]);
  });

  it('clamps to the image', () => {
    expect(mapBoxToSource([-2, -1, 961, 545], 960, 544, 1280, 720)).toEqual([0, 0, 1280, 720]);
  });
});

describe('cropOf', () => {
  it('covers the box with whole pixels inside the image, at least one pixel', () => {
    expect(cropOf([10.4, 20.6, 30.2, 40.9], 100, 100)).toEqual({ x: 10, y: 20, width: 21, height: 21 });
    expect(cropOf([99.5, 99.5, 99.5, 99.5], 100, 100)).toEqual({ x: 99, y: 99, width: 1, height: 1 });
  });
});

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
