import type { Logger } from '../logger';

/**
 * Reports a failed clean-up step (removing a temp file, aborting a multipart upload) without
 * hiding the error that made the clean-up necessary: the caller rethrows that one, and this one
 * goes to the logger, or to a process warning when the storage was built without a logger.
 */
export function reportCleanupFailure(logger: Logger | undefined, message: string, err: unknown): void {
  if (logger) {
    logger.error(message, { error: err });
    return;
  }
  const detail = err instanceof Error ? err.message : String(err);
  process.emitWarning(`${message}: ${detail}`, { code: 'VIDEO_JOBS_STORAGE_CLEANUP' });
}
