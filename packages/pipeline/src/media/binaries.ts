import fs from 'node:fs';

/**
 * Where the ffmpeg and ffprobe executables are. FFMPEG_PATH / FFPROBE_PATH override the bundled
 * @ffmpeg-installer / @ffprobe-installer binaries (e.g. a distribution ffmpeg in a container).
 */
export function ffmpegPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FFMPEG_PATH) return env.FFMPEG_PATH;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

export function ffprobePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FFPROBE_PATH) return env.FFPROBE_PATH;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bundled = (require('@ffprobe-installer/ffprobe') as { path: string }).path;
  ensureExecutable(bundled);
  return bundled;
}

/**
 * @ffprobe-installer/linux-x64 ships its binary without the exec bit and fixes it in a postinstall
 * that pnpm may not run (DESIGN §11), so set the bit ourselves when we are allowed to.
 */
function ensureExecutable(file: string): void {
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    const mode = fs.statSync(file).mode;
    fs.chmodSync(file, mode | 0o111);
  }
}
