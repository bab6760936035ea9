import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '@video-jobs/core';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      requestId: string;
      /** Hash of the API key that made the request; null when the API is open. */
      owner: string | null;
    }
  }
}

/** Gives each request an id (echoed as X-Request-Id) and, at LOG_LEVEL http or lower, logs one line when it ends. */
export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    req.requestId = randomUUID();
    res.setHeader('X-Request-Id', req.requestId);
    // Winston formats a line before its transport drops it by level: at the default level (info)
    // these lines would cost a JSON serialisation per request for nothing.
    if (!logger.isLevelEnabled('http')) return next();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.http('request', {
        request_id: req.requestId,
        method: req.method,
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
    next();
  };
}
