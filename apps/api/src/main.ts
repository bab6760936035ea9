import path from 'node:path';
import { Registry } from 'prom-client';
import {
  closeOnSignals,
  createCoreServices,
  createJobMetrics,
  createLogger,
  freeSpaceCheck,
  JobWorker,
  jobWorkerOptionsFromConfig,
  loadConfig,
  pipelineOptionsFromConfig,
} from '@video-jobs/core';
import { checkUploadLimits, createPipelineService, DEFAULT_PIPELINE_ID, PipelineRegistry } from '@video-jobs/pipeline';
import { createApp } from './app';
import { createApiMetrics } from './http/metrics';
import { apiDocsRoutes } from './openapi/docs.routes';

/**
 * `node apps/api`. With REDIS_URL unset this is the embedded default: one process runs the API and
 * a worker over PGlite (or DATABASE_URL), local files and an in-memory queue.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL).child({ service: 'api' });
  if (config.REDIS_URL && !config.DATABASE_URL) {
    throw new Error(
      'REDIS_URL is set but DATABASE_URL is not: worker processes could not reach the embedded database. ' +
        'Set DATABASE_URL, or unset REDIS_URL to run the embedded default.',
    );
  }
  const services = await createCoreServices(config, logger);
  const registry = new Registry();
  const jobMetrics = createJobMetrics(services, registry);

  let worker: JobWorker | undefined;
  let closePipeline = async () => {};
  if (!config.REDIS_URL) {
    const pipeline = await createPipelineService(pipelineOptionsFromConfig(config));
    closePipeline = () => pipeline.close();
    worker = new JobWorker(
      {
        ...services,
        pipeline,
        logger: logger.child({ service: 'worker' }),
        onJobFinished: jobMetrics.jobFinished,
        onRetention: jobMetrics.retentionDone,
      },
      jobWorkerOptionsFromConfig(config, path.join(config.DATA_DIR, 'tmp')),
    );
    await worker.recoverAfterRestart();
    worker.start();
  }

  const pipelineIds = new PipelineRegistry().ids();
  const app = createApp({
    ...services,
    logger,
    metrics: createApiMetrics(registry),
    pipelineIds,
    defaultPipeline: DEFAULT_PIPELINE_ID,
    apiKeys: config.API_KEYS,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    idempotencyWindowMs: config.RETENTION_MS,
    freeSpace: freeSpaceCheck(config),
    inspectUpload: (key) =>
      checkUploadLimits(() => services.storage.get(key), { limits: pipelineOptionsFromConfig(config).limits }),
    extraRoutes: apiDocsRoutes(pipelineIds, DEFAULT_PIPELINE_ID),
  });
  const onListening = () => {
    logger.info('listening', {
      port: config.PORT,
      bind: config.API_BIND ?? 'every interface',
      mode: worker ? 'embedded (in-process worker)' : 'api only',
      database: config.DATABASE_URL ? 'postgres' : 'pglite',
      storage: config.STORAGE,
      auth: config.API_KEYS.length > 0 ? 'api keys' : 'open',
    });
  };
  // null: Node's default, every interface (IPv6 and IPv4).
  const server =
    config.API_BIND === null
      ? app.listen(config.PORT, onListening)
      : app.listen(config.PORT, config.API_BIND, onListening);
  // Large uploads on slow links take longer than Node's 5-minute default.
  server.requestTimeout = 60 * 60 * 1000;

  closeOnSignals(logger, async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await worker?.close();
    await closePipeline();
    await services.close();
  });
}

main().catch((err) => {
  process.stderr.write(`video-jobs api failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
