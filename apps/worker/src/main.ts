import os from 'node:os';
import path from 'node:path';
import {
  closeOnSignals,
  createCoreServices,
  createJobMetrics,
  createLogger,
  JobWorker,
  jobWorkerOptionsFromConfig,
  loadConfig,
  pipelineOptionsFromConfig,
  readinessChecks,
} from '@video-jobs/core';
import { createPipelineService } from '@video-jobs/pipeline';
import { metricsPort, startMetricsServer } from './metrics-server';

/**
 * `node apps/worker`: the worker daemon of the split deployment. Any number of them may share one
 * Postgres, Redis and bucket; the database decides which worker owns which job.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL).child({ service: 'worker', worker: config.WORKER_ID });
  if (!config.DATABASE_URL || !config.REDIS_URL) {
    throw new Error(
      'the worker daemon needs DATABASE_URL and REDIS_URL (shared with the API). ' +
        'On one machine without them, `pnpm start` runs the API with a worker in-process.',
    );
  }
  const services = await createCoreServices(config, logger);
  const jobMetrics = createJobMetrics(services);
  const pipeline = await createPipelineService(pipelineOptionsFromConfig(config));
  const worker = new JobWorker(
    { ...services, pipeline, logger, onJobFinished: jobMetrics.jobFinished, onRetention: jobMetrics.retentionDone },
    jobWorkerOptionsFromConfig(config, path.join(os.tmpdir(), 'video-jobs')),
  );
  const metricsServer = await startMetricsServer(
    config.METRICS_PORT,
    jobMetrics.registry,
    readinessChecks(services, config),
  );
  worker.start();
  logger.info('worker started', { concurrency: config.WORKER_CONCURRENCY, metrics_port: metricsPort(metricsServer) });

  closeOnSignals(logger, async () => {
    await worker.close();
    await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    await pipeline.close();
    await services.close();
  });
}

main().catch((err) => {
  process.stderr.write(`video-jobs worker failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
