import { VideoLimitError } from '@video-jobs/core/errors';
import type { VideoInfo } from './probe';

/** Bounds on what a job may decode (MAX_VIDEO_PIXELS, MAX_VIDEO_SECONDS). */
export interface VideoLimits {
  /** Largest frame, in pixels (width x height). */
  maxPixels: number;
  /** Longest video, in seconds of presentation time. */
  maxSeconds: number;
}

/** 7680x4320 (8K UHD) and 6 hours (AWS Rekognition Video's limit). */
export const DEFAULT_VIDEO_LIMITS: Readonly<VideoLimits> = Object.freeze({
  maxPixels: 7680 * 4320,
  maxSeconds: 6 * 3600,
});

/** Refuses, before anything is decoded, a video whose probed frame size or duration is over a limit. */
export function checkVideoLimits(info: VideoInfo, limits: VideoLimits): void {
  const pixels = info.width * info.height;
  if (pixels > limits.maxPixels) {
    throw new VideoLimitError(
      `video frames are ${info.width}x${info.height} (${pixels} pixels), over the limit of ${limits.maxPixels} pixels (MAX_VIDEO_PIXELS)`,
    );
  }
  if (info.durationMs !== null && info.durationMs > limits.maxSeconds * 1000) {
    throw new VideoLimitError(
      `video lasts ${formatSeconds(info.durationMs / 1000)}, over the limit of ${formatSeconds(limits.maxSeconds)} (MAX_VIDEO_SECONDS)`,
    );
  }
}

/** A frame met while decoding that is past the duration limit (the container under-reported it). */
export function durationLimitError(timestampMs: number, limits: VideoLimits): VideoLimitError {
  return new VideoLimitError(
    `video has a frame at ${formatSeconds(timestampMs / 1000)}, over the limit of ${formatSeconds(limits.maxSeconds)} (MAX_VIDEO_SECONDS)`,
  );
}

function formatSeconds(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(2)} h (${Math.round(s)} s)` : `${Math.round(s * 10) / 10} s`;
}
