import type { RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface ApiMetrics {
  registry: Registry;
  jobsSubmitted: Counter<'pipeline'>;
  /** Records one histogram sample per request, labelled by route pattern (never raw ids). */
  middleware: RequestHandler;
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [registry],
  });
  const jobsSubmitted = new Counter({
    name: 'video_jobs_submitted_total',
    help: 'Jobs accepted by POST /video/submit, by pipeline',
    labelNames: ['pipeline'] as const,
    registers: [registry],
  });
  const middleware: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const route = routePath ? `${req.baseUrl}${routePath}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
  return { registry, jobsSubmitted, middleware };
}
