import { randomUUID } from 'node:crypto';
import { pipeline as pipeStreams } from 'node:stream/promises';
import { Router, type Request, type RequestHandler } from 'express';
import multer from 'multer';
import type { Logger } from '@video-jobs/core';
import {
  NotFoundError,
  PayloadTooLargeError,
  ValidationError,
  type JobQueue,
  type JobRepository,
  type JobRow,
  type ObjectStorage,
} from '@video-jobs/core';
import { ObjectStorageEngine } from '../upload/object-storage.engine';
import type { ApiMetrics } from '../http/metrics';
import { inputRoute } from './input.route';
import { parseSubmitParams } from './submit-params';

export interface VideoRoutesDeps {
  jobs: JobRepository;
  queue: JobQueue;
  storage: ObjectStorage;
  pipelineIds: readonly string[];
  defaultPipeline: string;
  maxUploadBytes: number;
  logger: Logger;
  metrics: ApiMetrics;
}

const PROGRESS: Record<JobRow['status'], number> = { pending: 0, running: 0.5, completed: 1, failed: 1 };

function statusBody(job: JobRow) {
  return {
    job_id: job.job_id,
    status: job.status,
    progress: PROGRESS[job.status],
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
    ...(job.status === 'failed' ? { error_message: job.error_message ?? 'unknown error' } : {}),
  };
}

export function videoRoutes(deps: VideoRoutesDeps): Router {
  const { jobs, queue, storage, logger } = deps;
  const router = Router();
  const upload = multer({
    storage: new ObjectStorageEngine(storage, deps.maxUploadBytes, logger),
    limits: { files: 1, fields: 20, fieldSize: 1024, parts: 25 },
  }).single('file');

  /** A job the caller may see: unknown, malformed and other keys' ids all look alike. */
  async function visibleJob(req: Request): Promise<JobRow> {
    const jobId = String(req.params.job_id);
    const job = await jobs.get(jobId);
    if (!job || (req.owner !== null && job.owner !== req.owner)) {
      throw new NotFoundError(`no job with id ${JSON.stringify(jobId.slice(0, 100))}`);
    }
    return job;
  }

  const checkUpload: RequestHandler = (req, _res, next) => {
    if (!req.is('multipart/form-data')) {
      return next(new ValidationError('send the video as multipart/form-data with the file in the field "file"'));
    }
    const declared = Number(req.get('content-length'));
    if (Number.isFinite(declared) && declared > deps.maxUploadBytes + 64 * 1024) {
      // Refuse before reading a byte; the guard in the storage engine catches undeclared sizes.
      return next(new PayloadTooLargeError(`the upload is larger than the limit of ${deps.maxUploadBytes} bytes`));
    }
    // Query parameters are checked before the upload so a bad one costs no transfer.
    parseSubmitParams(req.query, {}, deps.pipelineIds, deps.defaultPipeline);
    req.jobId = randomUUID();
    next();
  };

  router.post('/submit', checkUpload, upload, async (req, res) => {
    const file = req.file;
    if (!file) throw new ValidationError('no file: send the video in the multipart form field "file"');
    let pipelineId: string | undefined;
    try {
      const params = parseSubmitParams(req.query, req.body ?? {}, deps.pipelineIds, deps.defaultPipeline);
      await jobs.create({
        job_id: req.jobId,
        status: 'pending',
        input_path: file.key,
        pipeline_id: params.pipelineId,
        frame_stride: params.frameStride,
        max_frames: params.maxFrames,
        owner: req.owner,
      });
      pipelineId = params.pipelineId;
    } finally {
      // No row, no object: a refused or failed submit leaves nothing behind.
      if (pipelineId === undefined) await storage.delete(file.key);
    }
    deps.metrics.jobsSubmitted.inc({ pipeline: pipelineId });
    try {
      await queue.enqueue(req.jobId);
    } catch (err) {
      // The row is committed, so the job is not lost: the workers' requeue timer finds pending
      // jobs nobody has touched and enqueues them again.
      logger.warn('enqueue failed; the requeue timer will pick the job up', { job_id: req.jobId, error: String(err) });
    }
    logger.info('job submitted', { job_id: req.jobId, transition: 'created->pending', request_id: req.requestId });
    res.status(202).location(`/video/status/${req.jobId}`).json({ job_id: req.jobId });
  });

  router.get('/status/:job_id', async (req, res) => {
    res.json(statusBody(await visibleJob(req)));
  });

  router.get('/results/:job_id', async (req, res) => {
    const job = await visibleJob(req);
    if (job.status !== 'completed' || !job.output_path) {
      throw new NotFoundError(`job ${job.job_id} has no results: its status is ${job.status}`);
    }
    const body = await storage.get(job.output_path);
    const head = `{"job_id":${JSON.stringify(job.job_id)},"results":`;
    const tail = `,"created_at":${JSON.stringify(job.created_at.toISOString())},"updated_at":${JSON.stringify(job.updated_at.toISOString())}}`;
    res.status(200).type('application/json');
    res.write(head);
    // The stored array is piped through, so memory stays flat whatever the size of the results.
    await pipeStreams(body, res, { end: false });
    res.end(tail);
  });

  router.get('/input/:job_id', inputRoute(storage, visibleJob));

  return router;
}
