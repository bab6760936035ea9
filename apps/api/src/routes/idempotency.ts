import { createHash, type Hash } from 'node:crypto';
import type { Response } from 'express';
import { IdempotencyKeyReusedError, ValidationError, type JobRow } from '@video-jobs/core';
import type { SubmitParams } from './submit-params';

/** A submit carrying an Idempotency-Key, as it travels through the request. */
export interface IdempotentSubmit {
  key: string;
  /** sha256 of the file, fed while it streams. */
  fileHash: Hash;
  /** The job this key already names, found before the upload: the upload is then hashed, not stored. */
  replayOf?: JobRow;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      idempotency?: IdempotentSubmit;
    }
  }
}

const PRINTABLE_ASCII = /^[\x20-\x7e]{1,255}$/;

/**
 * The Idempotency-Key header: 1-255 printable ASCII characters (Stripe's rule). The IETF draft
 * sends it as a structured-field string (`"abc"`); that form is unquoted, so both clients agree.
 */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(header);
  const key = quoted ? quoted[1].replace(/\\(.)/g, '$1') : header;
  if (!PRINTABLE_ASCII.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1 to 255 printable ASCII characters');
  }
  return key;
}

/** What makes two submits "the same request": the file's bytes and the parameters that shape the job. */
export function requestHash(fileSha256: string, params: SubmitParams): string {
  const canonical = JSON.stringify([fileSha256, params.pipelineId, params.frameStride, params.maxFrames]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Answers a repeated submit: the original 202 and Location when it is the same request, else 422.
 * Idempotent-Replayed tells a client (and a log reader) that nothing new was created.
 */
export function replay(res: Response, key: string, job: JobRow, hash: string): void {
  if (job.request_hash !== hash) {
    throw new IdempotencyKeyReusedError(
      `Idempotency-Key ${JSON.stringify(key)} was already used for job ${job.job_id} with a different file or parameters; ` +
        'send a new key for a new request',
    );
  }
  res
    .status(202)
    .location(`/video/status/${job.job_id}`)
    .set('Idempotent-Replayed', 'true')
    .json({ job_id: job.job_id });
}
