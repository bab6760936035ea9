// Lifecycle timers short enough that a lost worker, a lost queue entry or a dead connection is
// recovered in seconds rather than the production minutes (DESIGN §4 defaults: 10 s / 60 s / 15 s / 30 s).
export const FAST_LIFECYCLE: Record<string, string> = {
  HEARTBEAT_MS: '300',
  LEASE_MS: '2000',
  REAP_INTERVAL_MS: '300',
  REQUEUE_MS: '1000',
  SHUTDOWN_GRACE_MS: '1000',
  LOG_LEVEL: 'info',
};

/** The jobs every scenario runs: yolo on a few frames of a small clip, well under a second each. */
export const JOB_PARAMS = { pipeline_id: 'yolo', max_frames: 3 };
