/**
 * What the worker needs from the pipeline package. Core never imports the pipeline; each app
 * passes a VideoFilePipelineService in as this interface.
 */
export interface FrameResult {
  frame_index: number;
  result: Record<string, unknown>;
}

export interface PipelineParams {
  pipelineId: string;
  frameStride: number;
  maxFrames: number | null;
}

export interface VideoPipeline {
  /** Per-frame results in frame order. Throws UnsupportedMediaError for a video it cannot decode. */
  runOnFile(path: string, params: PipelineParams, signal?: AbortSignal): AsyncIterable<FrameResult>;
  /** Registered pipeline ids, for validating submissions. */
  pipelineIds(): readonly string[];
}
