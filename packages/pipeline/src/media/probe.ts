import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import { UnsupportedMediaError } from '@video-jobs/core/errors';
import { mediaErrorFromLog } from './ffmpeg-log';

/** Stream facts of a video file's first video stream. */
export interface VideoInfo {
  width: number;
  height: number;
  /** Average frame rate; 0 when the container does not say. */
  fps: number;
  /** Frames in the stream as the container indexes them; null when it does not say. */
  frameCount: number | null;
  durationMs: number | null;
  /** Presentation time of the stream's start (negative with some edit lists); 0 when unknown. */
  startMs: number;
  codec: string;
  /** Pixel format of the first frame as the decoder reports it (e.g. yuv420p); null when unknown. */
  pixFmt: string | null;
  /**
   * The index lists frames but the stream lasts exactly 0 s: its timestamps (an edit list, or all
   * of them negative) put every frame before the start, so a player shows none. Not truncation.
   */
  emptyTimeline?: boolean;
}

interface ProbeJson {
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    nb_frames?: string;
    duration?: string;
    start_time?: string;
    pix_fmt?: string;
  }>;
  format?: { duration?: string };
}

/** An ISO-BMFF file (MP4, MOV, 3GP) starts with a box whose type, at byte 4, is `ftyp`. */
export async function checkIsMp4(path: string): Promise<void> {
  const file = await fs.open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size === 0) throw new UnsupportedMediaError('file is empty');
    const head = Buffer.alloc(8);
    const { bytesRead } = await file.read(head, 0, 8, 0);
    if (bytesRead < 8 || head.toString('latin1', 4, 8) !== 'ftyp') {
      throw new UnsupportedMediaError('not an MP4: the file does not start with an ISO-BMFF ftyp box');
    }
  } finally {
    await file.close();
  }
}

const rate = (r?: string) => {
  const [n, d] = (r ?? '').split('/').map(Number);
  return n > 0 && d > 0 ? n / d : 0;
};

/** Reads the facts of the first video stream with ffprobe; a file that is not a readable MP4 video is an UnsupportedMediaError. */
export async function probeVideo(ffprobe: string, path: string, signal?: AbortSignal): Promise<VideoInfo> {
  await checkIsMp4(path);
  const args = [
    '-v',
    'error',
    '-of',
    'json',
    '-show_entries',
    'stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames,duration,start_time,pix_fmt:format=duration',
    path,
  ];
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number }>(
    (resolve, reject) => {
      execFile(ffprobe, args, { maxBuffer: 16 * 1024 * 1024, signal }, (err, stdout, stderr) => {
        // ExecFileException is an Error whose type (built with Omit<>) no longer says so.
        const failure: Error | null = err;
        if (failure && typeof (failure as { code?: unknown }).code !== 'number') reject(failure);
        else resolve({ stdout, stderr, code: err ? Number((err as { code?: unknown }).code) : 0 });
      });
    },
  );
  const messages = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (code !== 0) throw mediaErrorFromLog(messages, 'could not read the video');
  const json = JSON.parse(stdout) as ProbeJson;
  const video = json.streams?.find((s) => s.codec_type === 'video');
  if (!video) {
    const audio = json.streams?.some((s) => s.codec_type === 'audio');
    throw new UnsupportedMediaError(audio ? 'no video stream (the file has only audio)' : 'no video stream');
  }
  if (!video.width || !video.height)
    throw mediaErrorFromLog(messages, 'could not decode video: its frame size is unknown');
  const frames = Number(video.nb_frames);
  const seconds = Number(video.duration ?? json.format?.duration);
  const start = Number(video.start_time);
  return {
    width: video.width,
    height: video.height,
    fps: rate(video.avg_frame_rate) || rate(video.r_frame_rate),
    frameCount: Number.isInteger(frames) && frames > 0 ? frames : null,
    durationMs: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : null,
    startMs: Number.isFinite(start) ? Math.round(start * 1000) : 0,
    codec: video.codec_name ?? 'unknown',
    pixFmt: video.pix_fmt && /^[a-z0-9_]+$/.test(video.pix_fmt) ? video.pix_fmt : null,
    ...(Number.isInteger(frames) && frames > 0 && Number(video.duration) === 0 ? { emptyTimeline: true } : {}),
  };
}
