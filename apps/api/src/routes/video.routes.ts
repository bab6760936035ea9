import { createHash, randomUUID } from 'node:crypto';
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
import { replay, parseIdempotencyKey, requestHash } from './idempotency';
import { encodeCursor, parseListParams } from './job-list';
import { inputRoute } from './input.route';
import { parseResultsPageParams, resultsPage } from './results-page';
import { parseSubmitParams, type SubmitParams } from './submit-params';

export interface VideoRoutesDeps {
  jobs: JobRepository;
  queue: JobQueue;
  storage: ObjectStorage;
  pipelineIds: readonly string[];
  defaultPipeline: string;
  maxUploadBytes: number;
  /** How long an Idempotency-Key names its job (RETENTION_MS; 0: as long as the job exists). */
  idempotencyWindowMs: number;
  logger: Logger;
  metrics: ApiMetrics;
  /**
   * Looks at a stored upload before its job is created and throws (VideoLimitError: 422) when the
   * video is over MAX_VIDEO_PIXELS or MAX_VIDEO_SECONDS; unset: no check at submit.
   */
  inspectUpload?: (key: string) => Promise<void>;
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

/** A listing entry: the status body plus the pipeline, which a list of many jobs needs to show. */
function listEntry(job: JobRow) {
  return { ...statusBody(job), pipeline_id: job.pipeline_id };
}

function newJobRow(req: Request, inputPath: string, params: SubmitParams) {
  return {
    job_id: req.jobId,
    status: 'pending' as const,
    input_path: inputPath,
    pipeline_id: params.pipelineId,
    frame_stride: params.frameStride,
    max_frames: params.maxFrames,
    owner: req.owner,
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

  const checkUpload: RequestHandler = async (req, _res, next) => {
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
    const key = parseIdempotencyKey(req.get('idempotency-key'));
    if (key !== undefined) {
      // A key seen before: the upload is still read (to tell the same file from another) but not stored.
      const replayOf = await jobs.findByIdempotencyKey(req.owner, key, deps.idempotencyWindowMs);
      req.idempotency = { key, fileHash: createHash('sha256'), replayOf };
    }
    req.jobId = randomUUID();
    next();
  };

  router.post('/submit', checkUpload, upload, async (req, res) => {
    const file = req.file;
    if (!file) throw new ValidationError('no file: send the video in the multipart form field "file"');
    const idempotency = req.idempotency;
    let created = false;
    try {
      const params = parseSubmitParams(
        req.query,
        (req.body ?? {}) as Record<string, unknown>,
        deps.pipelineIds,
        deps.defaultPipeline,
      );
      if (file.stored && !idempotency?.replayOf) await deps.inspectUpload?.(file.key);
      if (!idempotency) {
        await jobs.create(newJobRow(req, file.key, params));
        created = true;
      } else {
        const hash = requestHash(idempotency.fileHash.digest('hex'), params);
        if (idempotency.replayOf) return replay(res, idempotency.key, idempotency.replayOf, hash);
        // The unique index decides between racing submits with one key; the loser answers as a replay.
        const outcome = await jobs.createIdempotent(
          { ...newJobRow(req, file.key, params), idempotency_key: idempotency.key, request_hash: hash },
          deps.idempotencyWindowMs,
        );
        if (!outcome.created) return replay(res, idempotency.key, outcome.job, hash);
        created = true;
      }
      deps.metrics.jobsSubmitted.inc({ pipeline: params.pipelineId });
    } finally {
      // No row, no object: a refused, failed or replayed submit leaves nothing behind.
      if (!created && file.stored) await storage.delete(file.key);
    }
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

  router.get('/jobs', async (req, res) => {
    const params = parseListParams(req.query);
    const page = await jobs.list({
      owner: req.owner,
      statuses: params.statuses,
      limit: params.limit,
      after: params.after,
    });
    res.json({ jobs: page.jobs.map(listEntry), next_cursor: page.next ? encodeCursor(page.next) : null });
  });

  router.get('/status/:job_id', async (req, res) => {
    res.json(statusBody(await visibleJob(req)));
  });

  router.get('/results/:job_id', async (req, res) => {
    const job = await visibleJob(req);
    if (job.status !== 'completed' || !job.output_path) {
      throw new NotFoundError(`job ${job.job_id} has no results: its status is ${job.status}`);
    }
    const paging = parseResultsPageParams(req.query);
    const head = `{"job_id":${JSON.stringify(job.job_id)},"results":`;
    const tail = `,"created_at":${JSON.stringify(job.created_at.toISOString())},"updated_at":${JSON.stringify(job.updated_at.toISOString())}}`;
    if (!paging) {
      const body = await storage.get(job.output_path);
      res.status(200).type('application/json');
      res.write(head);
      // The stored array is piped through, so memory stays flat whatever the size of the results.
      await pipeStreams(body, res, { end: false });
      res.end(tail);
      return;
    }
    const page = await resultsPage(storage, job, paging);
    if (page.nextFromFrame !== null) {
      // RFC 8288; relative to this request, like Location.
      res.set(
        'Link',
        `</video/results/${job.job_id}?from_frame=${page.nextFromFrame}&limit=${paging.limit}>; rel="next"`,
      );
    }
    res.status(200).type('application/json');
    res.write(`${head}[`);
    if (page.body) await pipeStreams(page.body, res, { end: false });
    res.end(`]${tail}`);
  });

  router.get('/input/:job_id', inputRoute(storage, visibleJob));

  return router;
}
