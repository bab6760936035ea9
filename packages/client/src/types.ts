/** Response shapes of the video-jobs HTTP API (DESIGN §2, §6). */

export type JobState = 'pending' | 'running' | 'completed' | 'failed';

/** GET /video/status/{job_id}. `progress` is coarse: 0.0 pending, 0.5 running, 1.0 completed or failed. */
export interface JobStatus {
  job_id: string;
  status: JobState;
  progress: number;
  /** ISO 8601 UTC. */
  created_at: string;
  /** ISO 8601 UTC. */
  updated_at: string;
  /** Present when status is `failed`. */
  error_message?: string;
}

/** POST /video/submit (202). */
export interface SubmitResponse {
  job_id: string;
}

export type Box = [x1: number, y1: number, x2: number, y2: number];

export interface Detection {
  label: string;
  class_id: number;
  confidence: number;
  box: Box;
  /** yolo_track and yolo_ocr: the same id for the same object across a job's sampled frames. */
  track_id?: number;
}

export interface TextLine {
  text: string;
  confidence: number;
  box: Box;
}

/** One analysed frame; which keys are present depends on the pipeline (yolo_ocr, yolo, ocr, yolo_track). */
export interface FrameAnalysis {
  timestamp_ms: number;
  detections?: Detection[];
  text?: TextLine[];
}

export interface FrameResult {
  /** 0-based index of the frame in the source video (with stride 5: 0, 5, 10, ...). */
  frame_index: number;
  result: FrameAnalysis;
}

/** GET /video/results/{job_id} for a completed job. */
export interface JobResults {
  job_id: string;
  results: FrameResult[];
  created_at: string;
  updated_at: string;
}

/** RFC 9457 problem details: the body of every error response. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
}

export const TERMINAL_STATES: readonly JobState[] = ['completed', 'failed'];

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}
