import fs from 'node:fs';
import { ffmpegPath, ffprobePath } from './binaries';

describe('ffmpeg and ffprobe paths', () => {
  it('use FFMPEG_PATH and FFPROBE_PATH when set', () => {
    expect(ffmpegPath({ FFMPEG_PATH: '/opt/ffmpeg/bin/ffmpeg' })).toBe('/opt/ffmpeg/bin/ffmpeg');
    expect(ffprobePath({ FFPROBE_PATH: '/opt/ffmpeg/bin/ffprobe' })).toBe('/opt/ffmpeg/bin/ffprobe');
  });

  it('fall back to the bundled binaries, executable', () => {
    for (const file of [ffmpegPath({}), ffprobePath({})]) {
      expect(() => fs.accessSync(file, fs.constants.X_OK)).not.toThrow();
    }
  });
});
