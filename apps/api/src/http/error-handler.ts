import type { ErrorRequestHandler, RequestHandler } from 'express';
import { MulterError } from 'multer';
import type { Logger } from '@video-jobs/core';
import {
  IdempotencyKeyReusedError,
  isDatabaseUnavailable,
  NotFoundError,
  PayloadTooLargeError,
  RangeNotSatisfiableError,
  StorageFullError,
  StorageUnavailableError,
  UnauthorizedError,
  UnsupportedMediaError,
  VideoLimitError,
  ValidationError,
} from '@video-jobs/core';
import { problem, sendProblem, type Problem } from './problem';

const MULTER_DETAIL: Partial<Record<MulterError['code'], string>> = {
  LIMIT_FILE_COUNT: 'send exactly one file, in the form field "file"',
  LIMIT_UNEXPECTED_FILE: 'unexpected file field; send exactly one file, in the form field "file"',
  LIMIT_FIELD_COUNT: 'too many form fields',
  LIMIT_FIELD_VALUE: 'a form field value is too long',
  LIMIT_FIELD_KEY: 'a form field name is too long',
  LIMIT_PART_COUNT: 'too many parts in the multipart body',
};

/** Seconds a client waits before retrying when S3 is down or throttling (its SDK has already retried). */
const STORAGE_RETRY_AFTER_S = 10;

/** The one place errors become HTTP. Anything unexpected is logged and answered without internals. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      // The body was already streaming (results); all we can do is cut the connection.
      logger.error('error after response started', { request_id: req.requestId, error: String(err) });
      res.destroy(err instanceof Error ? err : undefined);
      return;
    }
    // RFC 9110 §15.5.17: a 416 says how large the representation is.
    if (err instanceof RangeNotSatisfiableError) res.set('Content-Range', `bytes */${err.size}`);
    const known = toProblem(err);
    if (known) return sendProblem(res, known);
    if (err instanceof StorageFullError) {
      // The operator's problem, not the client's: warn, with the underlying errno in the cause.
      logger.warn('storage full', { request_id: req.requestId, path: req.path, error: err.message });
      return sendProblem(
        res,
        problem(507, `${err.message}; nothing was kept: submit again once the operator has freed space`),
      );
    }
    if (err instanceof StorageUnavailableError) {
      logger.warn('storage unavailable', { request_id: req.requestId, path: req.path, error: err.message });
      res.set('Retry-After', String(STORAGE_RETRY_AFTER_S));
      // A submit's upload was dropped; a read (results, input) only has to be asked again.
      const kept = req.method === 'POST' ? 'nothing was kept: ' : '';
      return sendProblem(res, problem(503, `${err.message}; ${kept}retry in ${STORAGE_RETRY_AFTER_S} seconds`));
    }
    if (isDatabaseUnavailable(err)) {
      // A Postgres restart or network cut is an outage to wait out, not a bug: 503, retry soon.
      logger.warn('database unavailable', { request_id: req.requestId, path: req.path, error: String(err) });
      res.set('Retry-After', '5');
      return sendProblem(res, problem(503, 'the database cannot be reached right now; retry in a few seconds'));
    }
    logger.error('unexpected error', {
      request_id: req.requestId,
      method: req.method,
      path: req.path,
      error: err instanceof Error ? err.stack : String(err),
    });
    sendProblem(res, problem(500, `unexpected server error; quote request id ${req.requestId} when reporting it`));
    void next;
  };
}

function toProblem(err: unknown): Problem | undefined {
  // Before UnsupportedMediaError, its base: a readable video over a limit is 422, not a bad request.
  if (err instanceof VideoLimitError) return problem(422, err.message);
  if (err instanceof ValidationError || err instanceof UnsupportedMediaError) return problem(400, err.message);
  if (err instanceof NotFoundError) return problem(404, err.message);
  if (err instanceof UnauthorizedError) return problem(401, err.message);
  if (err instanceof PayloadTooLargeError) return problem(413, err.message);
  if (err instanceof RangeNotSatisfiableError) return problem(416, err.message);
  if (err instanceof IdempotencyKeyReusedError) return problem(422, err.message);
  if (err instanceof MulterError) return problem(400, MULTER_DETAIL[err.code] ?? err.message);
  // body-parser and busboy errors carry an HTTP status for malformed bodies.
  const status =
    (err as { status?: unknown; statusCode?: unknown })?.status ?? (err as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return problem(status, `malformed request: ${(err as Error).message}`);
  }
  if (err instanceof Error && /Multipart|Unexpected end of form|Malformed part header/i.test(err.message)) {
    return problem(400, `malformed multipart body: ${err.message}`);
  }
  return undefined;
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, problem(404, `no route for ${req.method} ${req.path}`));
};
