import { YoloDetector } from './detector/yolo-detector';
import { FrameSource } from './media/frame-source';
import type { VideoLimits } from './media/video-limits';
import { createOcr, type OcrEngineName } from './ocr/ocr-factory';
import { PipelineRegistry } from './pipeline-registry';
import type { Ocr } from './types';
import { VideoFilePipelineService } from './video-file-pipeline.service';

export interface PipelineServiceOptions {
  /** MODEL_PATH; unset: <repo>/models/yolox_nano.onnx. */
  modelPath?: string;
  /** MIN_CONFIDENCE for detections (default 0.35). */
  minConfidence?: number;
  /** OCR_ENGINE. */
  ocrEngine: OcrEngineName;
  /** OCR_MIN_CONFIDENCE; unset: the engine's measured default. */
  ocrMinConfidence?: number;
  /** CPU threads for ONNX Runtime and the OCR engine; unset: sized to the machine. */
  threads?: number;
  /** TRACK_MAX_MISSED_FRAMES: sampled frames a track survives unmatched (default 30). */
  trackMaxMissedFrames?: number;
  /** MAX_VIDEO_PIXELS / MAX_VIDEO_SECONDS; unset: 7680x4320 and 6 h. */
  limits?: VideoLimits;
  ffmpegPath?: string;
  ffprobePath?: string;
}

/** Everything the pipeline needs, wired: `const pipeline = await createPipelineService({ ocrEngine: config.OCR_ENGINE, ... })`. */
export async function createPipelineService(options: PipelineServiceOptions): Promise<VideoFilePipelineService> {
  const frames = new FrameSource({
    ffmpegPath: options.ffmpegPath,
    ffprobePath: options.ffprobePath,
    limits: options.limits,
  });
  const detector = await YoloDetector.create({
    modelPath: options.modelPath,
    minConfidence: options.minConfidence,
    threads: options.threads,
  });
  let ocr: Ocr;
  try {
    ocr = await createOcr({
      engine: options.ocrEngine,
      minConfidence: options.ocrMinConfidence,
      threads: options.threads,
    });
  } catch (err) {
    await detector.close();
    throw err;
  }
  return new VideoFilePipelineService({
    frames,
    detector,
    ocr,
    registry: new PipelineRegistry(),
    tracking: { maxMissedFrames: options.trackMaxMissedFrames },
  });
}
