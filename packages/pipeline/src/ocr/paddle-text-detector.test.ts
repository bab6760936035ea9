import { detectorInputSize, mapBoxToSource } from './paddle-text-detector';

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
