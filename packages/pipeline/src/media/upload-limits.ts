import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ffprobePath } from './binaries';
import { checkVideoLimits, type VideoLimits } from './video-limits';

export interface UploadLimitCheckOptions {
  limits: VideoLimits;
  ffprobePath?: string;
  /** Give up (and leave the decision to the worker) after this long. Default 15 s. */
  timeoutMs?: number;
}

/**
 * Probes a stored upload as a stream (the API has no file path with S3 storage) and throws a
 * VideoLimitError when its frame size or duration is over a limit, so the submit is refused with
 * 422 instead of becoming a job that fails later. ffprobe reads only as far as it needs (the head of
 * a faststart MP4). Anything it cannot tell, it does not refuse: the worker probes the file again and
 * fails the job with a clear message, so an unreadable upload keeps its existing answer.
 */
export async function checkUploadLimits(
  open: () => Promise<Readable>,
  options: UploadLimitCheckOptions,
): Promise<void> {
  const body = await open();
  const proc = spawn(
    options.ffprobePath ?? ffprobePath(),
    [
      '-v',
      'error',
      '-of',
      'json',
      '-show_entries',
      'stream=codec_type,width,height,duration:format=duration',
      '-i',
      'pipe:0',
    ],
    { stdio: ['pipe', 'pipe', 'ignore'] },
  );
  // ffprobe closes its input once it has what it needs: EPIPE then is expected, not a failure.
  proc.stdin.on('error', () => undefined);
  body.on('error', () => proc.stdin.destroy());
  body.pipe(proc.stdin);
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  const code = await new Promise<number | null>((resolve) => {
    proc.once('error', () => resolve(null));
    proc.once('close', (c) => resolve(c));
  });
  clearTimeout(timer);
  body.unpipe(proc.stdin);
  body.destroy();
  if (code !== 0) return;
  let json: {
    streams?: Array<{ codec_type?: string; width?: number; height?: number; duration?: string }>;
    format?: { duration?: string };
  };
  try {
    json = JSON.parse(out) as typeof json;
  } catch {
    return;
  }
  const video = json.streams?.find((s) => s.codec_type === 'video');
  if (!video?.width || !video.height) return;
  const seconds = Number(video.duration ?? json.format?.duration);
  checkVideoLimits(
    {
      width: video.width,
      height: video.height,
      fps: 0,
      frameCount: null,
      durationMs: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : null,
      startMs: 0,
      codec: 'unknown',
      pixFmt: null,
    },
    options.limits,
  );
}
