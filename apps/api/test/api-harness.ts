import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import {
  createJobMetrics,
  createLogger,
  KyselyJobRepository,
  LocalStorage,
  MemoryQueue,
  type Db,
  type JobQueue,
  type JobRepository,
  type ObjectStorage,
} from '@video-jobs/core';
import { createTestPglite } from '@video-jobs/core/test-support';
import { checkUploadLimits, DEFAULT_VIDEO_LIMITS } from '@video-jobs/pipeline';
import { createApp, type AppDeps } from '../src/app';
import { createApiMetrics } from '../src/http/metrics';
import { apiDocsRoutes } from '../src/openapi/docs.routes';

export const PIPELINE_IDS = ['yolo_ocr', 'yolo', 'ocr'] as const;

export interface ApiHarness {
  /** The database itself, for tests that set up what the API cannot (aged rows). */
  db: Db;
  jobs: JobRepository;
  storage: ObjectStorage;
  queue: JobQueue;
  storageDir: string;
  /** A fresh app over the shared embedded parts, with per-test overrides. */
  app(overrides?: Partial<AppDeps>): ReturnType<typeof createApp>;
  close(): Promise<void>;
}

/** The embedded parts (PGlite, local files, in-memory queue) behind a real app, one per test file. */
export async function createApiHarness(): Promise<ApiHarness> {
  const pg = await createTestPglite();
  const storageDir = await mkdtemp(path.join(os.tmpdir(), 'video-jobs-api-'));
  const jobs = new KyselyJobRepository(pg.db);
  const storage = new LocalStorage(storageDir);
  const queue = new MemoryQueue();
  const logger = createLogger('error', { silent: true });
  return {
    db: pg.db,
    jobs,
    storage,
    queue,
    storageDir,
    app(overrides = {}) {
      const registry = new Registry();
      createJobMetrics({ jobs, queue }, registry);
      return createApp({
        jobs,
        storage,
        queue,
        logger,
        metrics: createApiMetrics(registry),
        pipelineIds: PIPELINE_IDS,
        defaultPipeline: 'yolo_ocr',
        apiKeys: [],
        maxUploadBytes: 50 * 1024 * 1024,
        idempotencyWindowMs: 7 * 24 * 3600 * 1000,
        extraRoutes: apiDocsRoutes(PIPELINE_IDS, 'yolo_ocr'),
        inspectUpload: (key) => checkUploadLimits(() => storage.get(key), { limits: DEFAULT_VIDEO_LIMITS }),
        ...overrides,
      });
    },
    async close() {
      await queue.close();
      await pg.destroy();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
