import { Router } from 'express';
import type { Registry } from 'prom-client';
import { checkReadiness, type ReadinessCheck } from '@video-jobs/core';
import { problem, sendProblem } from '../http/problem';

export function healthRoutes(checks: readonly ReadinessCheck[], registry: Registry): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness(checks);
    if (readiness.ready) {
      res.json({ status: 'ok', checks: readiness.checks });
      return;
    }
    sendProblem(res, problem(503, readiness.detail));
  });
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}
