import { spawn } from 'node:child_process';
import { ffmpegPath } from '@video-jobs/pipeline';

/**
 * Runs the bundled ffmpeg (FFMPEG_PATH overrides, as in the pipeline) and fails with its stderr.
 * Single-threaded and bit-exact so a recipe gives the same bytes on every run and machine.
 */
export function ffmpeg(args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath(), ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`ffmpeg ${args.join(' ')} exited with ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

/** Output options that keep encoder names, dates and thread timing out of the bytes. */
export const EXACT = ['-threads', '1', '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact'];
