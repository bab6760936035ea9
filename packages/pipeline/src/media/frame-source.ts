import { spawn } from 'node:child_process';
import { UnsupportedMediaError } from '@video-jobs/core/errors';
import type { Frame, RgbImage } from '../types';
import { ffmpegPath, ffprobePath } from './binaries';
import { mediaErrorFromLog } from './ffmpeg-log';
import { FrameReader } from './frame-reader';
import { probeVideo, type VideoInfo } from './probe';
import { checkVideoLimits, DEFAULT_VIDEO_LIMITS, durationLimitError, type VideoLimits } from './video-limits';

export interface FrameSelection {
  /** Take every frameStride-th frame of the source: 0, stride, 2*stride, ... */
  frameStride: number;
  /** Stop after this many selected frames; null for all. */
  maxFrames: number | null;
}

type Size = { width: number; height: number };

export interface FrameReadOptions extends FrameSelection {
  /**
   * Let ffmpeg scale frames down (never up, aspect kept) to fit this box, for consumers that would
   * shrink them anyway. Frame.width/height then give the delivered size (and Frame.fitted is the
   * frame itself); callers map results back to source pixels with VideoInfo.width/height.
   */
  fitWithin?: Size;
  /**
   * Deliver full frames, and beside each one (Frame.fitted) a copy ffmpeg scaled to fit this box
   * from the same decode, with exactly the pixels `fitWithin` gives for the same box: a pipeline
   * that needs both (detector + OCR) shows the detector what a detector-only pipeline shows it.
   */
  alsoFitWithin?: Size;
  /** Frames decoded ahead of the consumer (memory: this many frames). Default 3. */
  bufferFrames?: number;
  signal?: AbortSignal;
  /** Facts from an earlier probe(), to skip a second ffprobe. */
  info?: VideoInfo;
}

export interface FrameSourceOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
  /**
   * ffmpeg decoder threads; 0 lets ffmpeg choose (cores + 1). Default 1: the decoder shares the
   * cores with inference, and one thread decodes a frame for the least total CPU (measured on the
   * 1080p sample: 9 ms of CPU a frame with 1 thread, 10.7 ms with ffmpeg's choice).
   */
  decodeThreads?: number;
  /** MAX_VIDEO_PIXELS / MAX_VIDEO_SECONDS; default 7680x4320 and 6 h. */
  limits?: VideoLimits;
}

/** The shape of what ffmpeg writes per frame: the frame at `size`, optionally stacked over a fitted copy. */
interface OutputLayout {
  size: Size;
  fitted?: Size;
  /** The fitted copy sits under the full frame in the same buffer (padded to its width). */
  stacked: boolean;
}

/**
 * Decoded frames of a video file, from one ffmpeg process per read. ffmpeg selects the frames
 * (select filter on the frame number n, no timestamp-based dropping or duplication), brings every
 * frame to the first frame's size and pixel format (so a video whose resolution or format changes
 * mid-stream still gives frames of one size), optionally scales them, and writes rgb24 to a pipe;
 * the process is killed and reaped however the read ends.
 */
export class FrameSource {
  private readonly ffmpeg: string;
  private readonly ffprobe: string;
  private readonly decodeThreads?: number;
  readonly limits: VideoLimits;
  /** pid of each running ffmpeg, for tests and diagnostics. */
  readonly running = new Set<number>();

  constructor(options: FrameSourceOptions = {}) {
    this.ffmpeg = options.ffmpegPath ?? ffmpegPath();
    this.ffprobe = options.ffprobePath ?? ffprobePath();
    this.decodeThreads = options.decodeThreads ?? 1;
    this.limits = options.limits ?? DEFAULT_VIDEO_LIMITS;
  }

  /** Stream facts; a video over the limits is refused here (VideoLimitError), before any decoding. */
  async probe(path: string, signal?: AbortSignal): Promise<VideoInfo> {
    const info = await probeVideo(this.ffprobe, path, signal);
    checkVideoLimits(info, this.limits);
    return info;
  }

  async *frames(path: string, options: FrameReadOptions): AsyncGenerator<Frame> {
    const { frameStride, maxFrames, signal } = options;
    if (!Number.isInteger(frameStride) || frameStride < 1)
      throw new RangeError(`frameStride must be an integer >= 1, got ${frameStride}`);
    if (maxFrames !== null && (!Number.isInteger(maxFrames) || maxFrames < 1))
      throw new RangeError(`maxFrames must be an integer >= 1 or null, got ${maxFrames}`);
    signal?.throwIfAborted();
    const info = options.info ?? (await this.probe(path, signal));
    checkVideoLimits(info, this.limits);
    const layout = outputLayout(info, options);
    const { size, fitted } = layout;
    const frameHeight = size.height + (layout.stacked ? fitted!.height : 0);
    const args = ffmpegArgs(path, options, info, layout, this.limits, this.decodeThreads);
    const proc = spawn(this.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const reader = new FrameReader(proc, size.width * frameHeight * 3, Math.max(1, options.bufferFrames ?? 3));
    if (proc.pid) this.running.add(proc.pid);
    const fullBytes = size.width * size.height * 3;
    const maxMs = info.startMs + this.limits.maxSeconds * 1000;
    let delivered = 0;
    let lastTimestampMs: number | null = null;
    try {
      for (let frame = await reader.next(signal); frame; frame = await reader.next(signal)) {
        // The container under-stated its duration: stop before decoding hours more than allowed.
        if (frame.timestampMs > maxMs) throw durationLimitError(frame.timestampMs - info.startMs, this.limits);
        const data = layout.stacked ? frame.data.subarray(0, fullBytes) : frame.data;
        const image: RgbImage = { data, width: size.width, height: size.height };
        yield {
          ...image,
          index: frame.n * frameStride,
          timestampMs: frame.timestampMs,
          fitted: layout.stacked ? unstack(frame.data, fullBytes, size.width, fitted!) : fitted ? image : undefined,
        };
        delivered++;
        lastTimestampMs = frame.timestampMs;
      }
      checkCompleteRead(reader, info, options, delivered, lastTimestampMs);
    } finally {
      await reader.stop();
      if (proc.pid) this.running.delete(proc.pid);
    }
  }
}

function fit(info: VideoInfo, box: Size): Size {
  const scale = Math.min(1, box.width / info.width, box.height / info.height);
  return { width: Math.max(1, Math.round(info.width * scale)), height: Math.max(1, Math.round(info.height * scale)) };
}

function outputLayout(info: VideoInfo, options: FrameReadOptions): OutputLayout {
  const full = { width: info.width, height: info.height };
  if (options.fitWithin)
    return { size: fit(info, options.fitWithin), fitted: fit(info, options.fitWithin), stacked: false };
  if (!options.alsoFitWithin) return { size: full, stacked: false };
  const fitted = fit(info, options.alsoFitWithin);
  // A video already within the box: the fitted copy is the frame itself.
  const same = fitted.width === full.width && fitted.height === full.height;
  return { size: full, fitted, stacked: !same };
}

/** The fitted copy's rows from under the full frame (each row padded to the full width). */
function unstack(data: Buffer, offset: number, fullWidth: number, fitted: Size): RgbImage {
  const row = fitted.width * 3;
  const stride = fullWidth * 3;
  if (row === stride) return { data: data.subarray(offset, offset + row * fitted.height), ...fitted };
  const out = Buffer.allocUnsafe(row * fitted.height);
  for (let y = 0; y < fitted.height; y++) data.copy(out, y * row, offset + y * stride, offset + y * stride + row);
  return { data: out, ...fitted };
}

function ffmpegArgs(
  path: string,
  options: FrameReadOptions,
  info: VideoInfo,
  layout: OutputLayout,
  limits: VideoLimits,
  threads?: number,
): string[] {
  const { size, fitted } = layout;
  const chain: string[] = [];
  if (options.frameStride > 1) chain.push(`select='not(mod(n\\,${options.frameStride}))'`);
  // Every frame to the first frame's size and pixel format (a no-op while they do not change).
  // With -reinit_filter 0 below, a mid-stream change reaches this scaler instead of rebuilding the
  // graph, which would restart showinfo's and select's frame numbers and change the frame's size.
  chain.push(`scale=${info.width}:${info.height}${info.pixFmt ? `,format=${info.pixFmt}` : ''}`);
  // showinfo logs each selected frame's pts on stderr, in output order: our frame timestamps.
  chain.push('showinfo');
  // Timestamps as frame numbers from here on: nothing downstream may drop, repeat or reorder a
  // frame because of odd source times (duplicates, negative or backwards pts after a splice).
  // In a time base of 1 s: with pts N in the input's fine time base (e.g. 1/15360) the rawvideo
  // muxer, working in 1/fps, rounded neighbouring frames to the same dts and logged an error, which
  // failed every stride-1 read of a real video at its end.
  chain.push('settb=1,setpts=N');
  // The detector's copy is made by the same filter in both layouts, so its pixels are identical.
  const fittedChain = (s: Size) => `scale=${s.width}:${s.height}:flags=bilinear,format=rgb24`;
  let graph: string;
  if (layout.stacked) {
    graph =
      `${chain.join(',')},split[full][small];[small]${fittedChain(fitted!)},pad=${size.width}:${fitted!.height}[fit];` +
      `[full]format=rgb24[rgb];[rgb][fit]vstack`;
  } else if (size.width !== info.width || size.height !== info.height) {
    graph = [...chain, fittedChain(size)].join(',');
  } else {
    graph = [...chain, 'format=rgb24'].join(',');
  }
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'level+info',
    // Frames as stored: rotation metadata is not applied, so sizes match ffprobe's width x height.
    '-noautorotate',
    // Keep the filter graph built for the first frame when a frame's size or format changes.
    '-reinit_filter',
    '0',
    // The decoder refuses a frame over MAX_VIDEO_PIXELS (one appearing mid-stream), before allocating it.
    '-max_pixels',
    String(limits.maxPixels),
    ...(threads !== undefined ? ['-threads', String(threads)] : []),
    '-i',
    path,
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    graph,
    // Passthrough: every selected frame exactly once, no duplication or dropping to a frame rate.
    '-vsync',
    '0',
    ...(options.maxFrames !== null ? ['-frames:v', String(options.maxFrames)] : []),
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
}

/** Signals that mean ffmpeg itself crashed on this input, as opposed to being killed from outside. */
const CRASH_SIGNALS = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGABRT']);

/**
 * After ffmpeg ended on its own: a failed exit, an error it logged while decoding, half a frame, or
 * fewer frames than the container indexes all mean the results would silently miss part of the
 * video, so the read fails instead of looking complete.
 */
function checkCompleteRead(
  reader: FrameReader,
  info: VideoInfo,
  options: FrameReadOptions,
  delivered: number,
  lastTimestampMs: number | null,
): void {
  const exit = reader.exitStatus;
  if (reader.error) throw reader.error;
  if (exit?.signal) {
    // A crash on a file is deterministic (final failure); a kill from outside (OOM killer, an
    // operator) is not the video's fault, so that attempt fails like any unexpected error.
    if (CRASH_SIGNALS.has(exit.signal)) {
      throw new UnsupportedMediaError(
        `could not decode video: ffmpeg crashed (${exit.signal}) while decoding it, after ${delivered} frames`,
      );
    }
    throw new Error(`ffmpeg was killed by ${exit.signal} after ${delivered} frames`);
  }
  if (!exit || exit.code !== 0) {
    throw mediaErrorFromLog(
      reader.errors.length ? reader.errors : reader.tail,
      `could not decode video (ffmpeg exited with ${exit?.code})`,
    );
  }
  if (reader.errors.length) throw mediaErrorFromLog(reader.errors, 'could not decode video');
  if (reader.leftoverBytes)
    throw new UnsupportedMediaError('could not decode video: ffmpeg stopped in the middle of a frame');
  if (info.frameCount !== null) {
    const selectable = Math.ceil(info.frameCount / options.frameStride);
    const expected = options.maxFrames === null ? selectable : Math.min(options.maxFrames, selectable);
    if (delivered >= expected - Math.max(2, Math.ceil(expected * 0.02))) return;
    // The index lists more frames than were decoded. Edit lists and negative timestamps hide frames
    // at the start (a whole GOP before a cut point), but the decoded frames still reach the end of
    // the stream's duration; a truncated file stops short of it.
    if (info.durationMs !== null && lastTimestampMs !== null && info.fps > 0) {
      const frameMs = 1000 / info.fps;
      const endMs = info.startMs + info.durationMs;
      if (lastTimestampMs >= endMs - (options.frameStride + 2) * frameMs - info.durationMs * 0.02) return;
    }
    if (delivered === 0 && info.emptyTimeline) {
      throw new UnsupportedMediaError(
        `no frame to analyse: the file lists ${info.frameCount} frames, but its timestamps place all of them before the start (the video lasts 0 s)`,
      );
    }
    throw new UnsupportedMediaError(
      `file is truncated: decoded ${delivered} of the ${expected} frames its index lists`,
    );
  }
}
