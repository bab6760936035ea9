'use strict';
// Test videos for the bench and fault scripts, made with the bundled ffmpeg and cached under
// .tmp/bench-videos (a 5-minute 720p clip takes minutes to encode on these machines).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..', '..');
const cacheDir = path.join(root, '.tmp', 'bench-videos');
const ffmpegPath = () =>
  require(require.resolve('@ffmpeg-installer/ffmpeg', { paths: [path.join(root, 'packages', 'pipeline')] })).path;

function ffmpeg(args) {
  return new Promise((resolve, reject) => {
    const ff = spawn(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    ff.stderr.on('data', (d) => (stderr += d));
    ff.on('error', reject);
    ff.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${stderr.trim()}`))));
  });
}

/** Writes `file` with `make(tmp)` unless it is cached; the temp name means a killed run leaves no half file. */
async function cached(name, make) {
  const file = path.join(cacheDir, name);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = path.join(cacheDir, `.${process.pid}.${name}`);
  try {
    await make(tmp);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return file;
}

/** An H.264 testsrc2 clip (moving pattern, every frame different), faststart. */
function testVideo({ seconds, width = 1280, height = 720, fps = 30 }) {
  return cached(`testsrc2-${width}x${height}-${fps}fps-${seconds}s.mp4`, (tmp) =>
    ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`, '-t', String(seconds),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-f', 'mp4', tmp]),
  );
}

/**
 * A real clip padded to exactly `bytes` with a trailing ISO-BMFF `free` box, which players and
 * ffprobe skip: a valid MP4 of a chosen size for upload benchmarks.
 */
async function paddedVideo(bytes) {
  const source = await testVideo({ seconds: 2, width: 640, height: 360 });
  return cached(`padded-${bytes}.mp4`, async (tmp) => {
    const data = fs.readFileSync(source);
    const pad = bytes - data.length;
    if (pad < 8) throw new Error(`source clip is already ${data.length} bytes`);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(pad, 0);
    header.write('free', 4, 'latin1');
    fs.writeFileSync(tmp, Buffer.concat([data, header, Buffer.alloc(pad - 8)]));
  });
}

/** An MP4 with only an AAC audio track. */
function audioOnlyMp4() {
  return cached('audio-only.mp4', (tmp) =>
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', '-f', 'mp4', tmp]),
  );
}

/** A clip without faststart (moov at the end), so cutting it in half loses the index. */
function moovAtEndVideo() {
  return cached('moov-at-end-320x240.mp4', (tmp) =>
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-t', '1', '-c:v', 'libx264', '-preset', 'ultrafast',
      '-pix_fmt', 'yuv420p', '-f', 'mp4', tmp]),
  );
}

/** A one-frame PNG. */
function pngImage() {
  return cached('frame.png', (tmp) =>
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=64x64', '-frames:v', '1', '-f', 'image2', '-c:v', 'png', tmp]),
  );
}

module.exports = { ffmpegPath, ffmpeg, testVideo, paddedVideo, audioOnlyMp4, moovAtEndVideo, pngImage, cacheDir };
