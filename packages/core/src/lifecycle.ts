import type { Logger } from 'winston';

/**
 * Runs `close` once on SIGTERM or SIGINT, then exits 0 (1 if closing failed). A second signal
 * while closing exits at once, for an operator who really wants it gone.
 */
export function closeOnSignals(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn('second signal while closing; exiting now', { signal });
      process.exit(1);
    }
    closing = true;
    logger.info('shutting down', { signal });
    close().then(
      () => {
        logger.info('shut down cleanly');
        logger.on('finish', () => process.exit(0));
        logger.end();
        setTimeout(() => process.exit(0), 500).unref();
      },
      (err) => {
        logger.error('shutdown failed', { error: err instanceof Error ? err.stack : String(err) });
        setTimeout(() => process.exit(1), 200).unref();
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
