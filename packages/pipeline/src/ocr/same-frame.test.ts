import { makeTextImage } from '../test-support';
import type { RgbImage } from '../types';
import { SameFrameDetector } from './same-frame';

const noisy = (image: RgbImage, amplitude: number, seed = 1): RgbImage => {
  let s = seed;
  const data = Buffer.from(image.data);
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    data[i] = Math.max(0, Math.min(255, data[i] + ((s % (2 * amplitude + 1)) - amplitude)));
  }
  return { ...image, data };
};

describe(SameFrameDetector.name, () => {
  it('says the first frame is new and an identical one is the same', async () => {
    const same = new SameFrameDetector();
    const frame = await makeTextImage({ text: 'EXIT 42 WEST', width: 1280, height: 720 });
    expect(await same.isSameAsLastRead(frame)).toBe(false);
    expect(await same.isSameAsLastRead(frame)).toBe(true);
  });

  it('treats pixel noise like compression noise as the same frame', async () => {
    const same = new SameFrameDetector();
    const frame = await makeTextImage({ text: 'EXIT 42 WEST', width: 1280, height: 720 });
    await same.isSameAsLastRead(frame);
    expect(await same.isSameAsLastRead(noisy(frame, 6))).toBe(true);
  });

  it('sees a clock changing one digit as a different frame', async () => {
    const same = new SameFrameDetector();
    const at = (t: string) =>
      makeTextImage({ text: `04-16-2012 15:34:${t}`, width: 1280, height: 720, fontSize: 40, x: 40, y: 60 });
    expect(await same.isSameAsLastRead(await at('19'))).toBe(false);
    expect(await same.isSameAsLastRead(await at('20'))).toBe(false);
  });

  it('compares with the last frame read, not the last frame seen (no slow drift)', async () => {
    const same = new SameFrameDetector({ maxPixelDifference: 6 });
    const base = await makeTextImage({ width: 320, height: 240, background: 'rgb(100,100,100)' });
    const shade = (v: number) => makeTextImage({ width: 320, height: 240, background: `rgb(${v},${v},${v})` });
    expect(await same.isSameAsLastRead(base)).toBe(false);
    expect(await same.isSameAsLastRead(await shade(104))).toBe(true);
    expect(await same.isSameAsLastRead(await shade(108))).toBe(false); // 8 from the frame read, though 4 from the previous
  });
});
