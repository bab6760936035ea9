import os from 'node:os';
import { ValidationError } from '@video-jobs/core/errors';
import type { FrameSource } from './media/frame-source';
import type { VideoInfo } from './media/probe';
import { OcrWithReuse, type OcrReuseStats } from './ocr/ocr-reuse';
import type { SameFrameOptions } from './ocr/same-frame';
import { PipelineRegistry, type PipelineDefinition } from './pipeline-registry';
import { addTrackIds } from './tracking/add-track-ids';
import type { ByteTrackerOptions } from './tracking/byte-tracker';
import { buildResult, formatDetections, formatText, type Scale } from './result-format';
import type { Detector, Frame, Ocr, RgbImage } from './types';

/** One frame's entry in a job's results (DESIGN §6). */
export interface FrameResult {
  frame_index: number;
  result: Record<string, unknown>;
}

export interface PipelineRunParams {
  pipelineId: string;
  frameStride: number;
  maxFrames: number | null;
}

/** A detector that can say its input size, so frames can be shrunk by the decoder for it. */
export type SizedDetector = Detector & { readonly inputSize?: { width: number; height: number } };

export interface VideoFilePipelineServiceDeps {
  frames: FrameSource;
  detector?: SizedDetector;
  ocr?: Ocr;
  registry?: PipelineRegistry;
  /** Frames being processed at once (decode-ahead is separate, in FrameSource). Default max(2, min(4, cores)). */
  inFlight?: number;
  /** Same-frame text reuse for OCR; false turns it off. */
  sameFrame?: SameFrameOptions | false;
  /** For pipelines with the `track` stage (TRACK_MAX_MISSED_FRAMES and tuning). */
  tracking?: ByteTrackerOptions;
}

export interface PipelineServiceStats extends OcrReuseStats {
  frames: number;
}

/**
 * Turns a video file into per-frame results for a named pipeline. Frames come from ffmpeg, which
 * decodes ahead into a small buffer; up to `inFlight` frames are processed at once (letterboxing
 * the next frame while the detector runs on this one, or keeping the OCR pool busy), and results
 * are yielded strictly in frame order.
 */
export class VideoFilePipelineService {
  private readonly registry: PipelineRegistry;
  private readonly inFlight: number;
  private closing?: Promise<void>;
  /** Totals over every run of this service (for benchmarks and metrics). */
  readonly stats: PipelineServiceStats = { frames: 0, calls: 0, reused: 0 };

  constructor(private readonly deps: VideoFilePipelineServiceDeps) {
    this.registry = deps.registry ?? new PipelineRegistry();
    if (this.registry.uses('detect') && !deps.detector)
      throw new Error('pipeline service: a registered pipeline detects objects but no detector was given');
    if (this.registry.uses('ocr') && !deps.ocr)
      throw new Error('pipeline service: a registered pipeline reads text but no OCR engine was given');
    this.inFlight = Math.max(1, deps.inFlight ?? Math.max(2, Math.min(4, os.availableParallelism())));
  }

  pipelineIds(): readonly string[] {
    return this.registry.ids();
  }

  /**
   * Results in frame order. Bad parameters throw ValidationError at once; a video that cannot be
   * decoded throws UnsupportedMediaError from the iteration (possibly after some frames: a
   * caller must treat only a completed iteration as success). Stopping early or aborting stops ffmpeg.
   */
  runOnFile(path: string, params: PipelineRunParams, signal?: AbortSignal): AsyncIterable<FrameResult> {
    const def = this.registry.get(params.pipelineId);
    if (!Number.isInteger(params.frameStride) || params.frameStride < 1) {
      throw new ValidationError(`frame_stride must be an integer >= 1, got ${params.frameStride}`);
    }
    if (params.maxFrames !== null && (!Number.isInteger(params.maxFrames) || params.maxFrames < 1)) {
      throw new ValidationError(`max_frames must be an integer >= 1, got ${params.maxFrames}`);
    }
    if (this.closing) throw new Error('pipeline service is closed');
    const results = this.run(path, def, params, signal);
    // Tracking needs frames in order, so it runs on the ordered results, after the parallel part.
    return def.stages.includes('track') ? addTrackIds(results, this.deps.tracking) : results;
  }

  private async *run(
    path: string,
    def: PipelineDefinition,
    params: PipelineRunParams,
    signal?: AbortSignal,
  ): AsyncGenerator<FrameResult> {
    const info = await this.deps.frames.probe(path, signal);
    const detects = def.stages.includes('detect');
    const readsText = def.stages.includes('ocr');
    const ocr = readsText ? new OcrWithReuse(this.deps.ocr!, this.stats, this.deps.sameFrame ?? {}) : undefined;
    // One detector path: whatever else a pipeline does, its detector sees the copy ffmpeg scaled to
    // the model's input (cheaper than piping 1080p), so every detecting pipeline finds the same
    // objects on the same frame. OCR needs the full frame, which then comes beside that copy.
    const detectorSize = detects ? this.deps.detector?.inputSize : undefined;
    const frames = this.deps.frames.frames(path, {
      frameStride: params.frameStride,
      maxFrames: params.maxFrames,
      fitWithin: readsText ? undefined : detectorSize,
      alsoFitWithin: readsText ? detectorSize : undefined,
      info,
      signal,
    });
    const pending: Promise<FrameResult>[] = [];
    try {
      for await (const frame of frames) {
        const result = this.process(frame, def, info, ocr);
        // Awaited in order below; the handler only stops Node flagging a failure that happens before its turn.
        result.catch(() => undefined);
        pending.push(result);
        if (pending.length >= this.inFlight) yield await pending.shift()!;
      }
      while (pending.length) yield await pending.shift()!;
    } finally {
      // Early stop or failure: let frames in flight settle (their errors belong to this run), then stop ffmpeg.
      await Promise.allSettled(pending);
      await frames.return(undefined);
    }
  }

  private async process(
    frame: Frame,
    def: PipelineDefinition,
    info: VideoInfo,
    ocr?: OcrWithReuse,
  ): Promise<FrameResult> {
    const toSource = (image: RgbImage): Scale => ({
      sx: info.width / image.width,
      sy: info.height / image.height,
      width: info.width,
      height: info.height,
    });
    const detectorImage = frame.fitted ?? frame;
    const [detections, text] = await Promise.all([
      def.stages.includes('detect') ? this.deps.detector!.detect(detectorImage) : undefined,
      ocr?.read(frame),
    ]);
    this.stats.frames++;
    return {
      frame_index: frame.index,
      result: buildResult(
        def.stages,
        frame.timestampMs,
        detections && formatDetections(detections, toSource(detectorImage)),
        text && formatText(text, toSource(frame)),
      ),
    };
  }

  /** Releases the detector and the OCR engine; safe to call twice, and tries both even if one fails. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const results = await Promise.allSettled([this.deps.detector?.close(), this.deps.ocr?.close()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    return this.closing;
  }
}
