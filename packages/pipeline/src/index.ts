export * from './types';
export { FrameSource, type FrameReadOptions, type FrameSelection, type FrameSourceOptions } from './media/frame-source';
export { probeVideo, checkIsMp4, type VideoInfo } from './media/probe';
export { checkVideoLimits, DEFAULT_VIDEO_LIMITS, type VideoLimits } from './media/video-limits';
export { checkUploadLimits, type UploadLimitCheckOptions } from './media/upload-limits';
export { ffmpegPath, ffprobePath } from './media/binaries';
export {
  YoloDetector,
  defaultModelPath,
  DEFAULT_MIN_CONFIDENCE,
  type YoloDetectorOptions,
  type PreparedInput,
} from './detector/yolo-detector';
export { ModelFormatError, recogniseLayout, type ModelLayout, type LayoutKind } from './detector/model-layout';
export { COCO_LABELS } from './detector/coco-labels';
export { TesseractOcr, DEFAULT_TESSERACT_MIN_CONFIDENCE, type TesseractOcrOptions } from './ocr/tesseract-ocr';
export { createOcr, OCR_ENGINES, type OcrEngineName, type OcrFactoryOptions } from './ocr/ocr-factory';
export { SameFrameDetector, type SameFrameOptions } from './ocr/same-frame';
export {
  PipelineRegistry,
  PIPELINES,
  DEFAULT_PIPELINE_ID,
  type PipelineDefinition,
  type PipelineStage,
} from './pipeline-registry';
export {
  VideoFilePipelineService,
  type FrameResult,
  type PipelineRunParams,
  type PipelineServiceStats,
  type SizedDetector,
  type VideoFilePipelineServiceDeps,
} from './video-file-pipeline.service';
export { createPipelineService, type PipelineServiceOptions } from './pipeline-service.factory';
export * from './tracking';
export { PaddleOcr, type PaddleOcrOptions } from './ocr/paddle-ocr';
