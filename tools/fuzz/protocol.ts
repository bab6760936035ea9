/** Messages between the fuzz runner and its worker child (tools/fuzz/worker-child.ts), over IPC. */
export interface RunRequest {
  type: 'run';
  file: string;
  pipelineId: string;
  frameStride: number;
  maxFrames: number | null;
}

export type ChildMessage =
  | { type: 'ready'; startMs: number }
  /** Sent for every frame the pipeline yields, so the runner can tell slow from stuck. */
  | { type: 'frame'; frames: number }
  | {
      type: 'result';
      /** JobWorker.processJob's outcome: completed, failed, released (retry), lease-lost, skipped. */
      outcome: string;
      status: string | undefined;
      errorMessage: string | null;
      /** The error of an attempt that failed unexpectedly (the job is then released for retry). */
      attemptError: string | undefined;
      frames: number;
      rssMb: number;
    }
  | { type: 'error'; message: string };
