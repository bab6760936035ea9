import express, { type Express } from 'express';
import type { Logger } from '@video-jobs/core';
import type { JobQueue, JobRepository, ObjectStorage, ReadinessCheck } from '@video-jobs/core';
import { apiKeyAuth } from './http/auth';
import { errorHandler, notFoundHandler } from './http/error-handler';
import type { ApiMetrics } from './http/metrics';
import { requestLogging } from './http/request-id';
import { consoleRoutes } from './routes/console.routes';
import { healthRoutes } from './routes/health.routes';
import { videoRoutes } from './routes/video.routes';

export interface AppDeps {
  jobs: JobRepository;
  queue: JobQueue;
  storage: ObjectStorage;
  logger: Logger;
  metrics: ApiMetrics;
  pipelineIds: readonly string[];
  defaultPipeline: string;
  apiKeys: readonly string[];
  maxUploadBytes: number;
  /** How long an Idempotency-Key names its job: RETENTION_MS (0: as long as the job exists). */
  idempotencyWindowMs: number;
  /** Refuses a stored upload over the video limits before its job is created (422). */
  inspectUpload?: (key: string) => Promise<void>;
  /** /readyz's free-space check of local storage (freeSpaceCheck: MIN_FREE_BYTES); unset: none. */
  freeSpace?: ReadinessCheck;
  /** The console's built files (default: the @video-jobs/console package's dist/). */
  consoleDir?: string;
  /** Extra routes mounted before the 404 handler (OpenAPI document and its rendering). */
  extraRoutes?: express.Router;
}

/** Builds the HTTP app from injected services; the entry file wires real ones, tests their own. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestLogging(deps.logger));
  app.use(deps.metrics.middleware);
  app.use(
    healthRoutes(
      [
        { name: 'database', check: () => deps.jobs.ping() },
        { name: 'queue', check: () => deps.queue.ping() },
        { name: 'storage', check: () => deps.storage.ping() },
        ...(deps.freeSpace ? [deps.freeSpace] : []),
      ],
      deps.metrics.registry,
    ),
  );
  if (deps.extraRoutes) app.use(deps.extraRoutes);
  app.use(consoleRoutes(deps.consoleDir));
  app.use('/video', apiKeyAuth(deps.apiKeys), videoRoutes(deps));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
