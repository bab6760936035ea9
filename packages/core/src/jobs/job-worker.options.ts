import type { Config } from '../config';

export interface JobWorkerOptions {
  workerId: string;
  concurrency: number;
  heartbeatMs: number;
  leaseMs: number;
  /** How often the reaper, the stale-pending requeue and retention run. */
  reapIntervalMs: number;
  requeueMs: number;
  maxAttempts: number;
  shutdownGraceMs: number;
  /** An attempt with no progress (download bytes, pipeline frames) for this long is aborted and counts as failed. */
  stallMs: number;
  /** How long one blocking dequeue waits; bounds how quickly close() is noticed. */
  dequeueTimeoutMs: number;
  /** Finished jobs older than this are deleted with their objects by the maintenance pass; 0 keeps them. */
  retentionMs: number;
  /** Finished jobs older than this lose their input object; null keeps inputs. */
  inputRetentionMs: number | null;
  /** Where inputs are downloaded while a job runs. */
  tmpDir: string;
  /**
   * After a job was released because storage was full or unreachable, how long this worker waits
   * before it takes another job (default 5 s).
   */
  storagePauseMs?: number;
}

export function jobWorkerOptionsFromConfig(config: Config, tmpDir: string): JobWorkerOptions {
  return {
    workerId: config.WORKER_ID,
    concurrency: config.WORKER_CONCURRENCY,
    heartbeatMs: config.HEARTBEAT_MS,
    leaseMs: config.LEASE_MS,
    reapIntervalMs: config.REAP_INTERVAL_MS,
    requeueMs: config.REQUEUE_MS,
    maxAttempts: config.MAX_ATTEMPTS,
    shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
    stallMs: config.STALL_MS,
    dequeueTimeoutMs: 2_000,
    retentionMs: config.RETENTION_MS,
    inputRetentionMs: config.INPUT_RETENTION_MS,
    tmpDir,
  };
}

/**
 * The pipeline settings both apps pass to `createPipelineService`; core only maps config to them
 * (it never imports the pipeline).
 */
export function pipelineOptionsFromConfig(config: Config) {
  return {
    modelPath: config.MODEL_PATH,
    minConfidence: config.MIN_CONFIDENCE,
    ocrEngine: config.OCR_ENGINE,
    ocrMinConfidence: config.OCR_MIN_CONFIDENCE,
    trackMaxMissedFrames: config.TRACK_MAX_MISSED_FRAMES,
    limits: { maxPixels: config.MAX_VIDEO_PIXELS, maxSeconds: config.MAX_VIDEO_SECONDS },
  };
}
