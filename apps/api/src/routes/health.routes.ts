import { Router } from 'express';
import type { Registry } from 'prom-client';
import { problem, sendProblem } from '../http/problem';

/** A dependency the service needs to do its work, checked by /readyz. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

export function healthRoutes(checks: readonly ReadinessCheck[], registry: Registry): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const results = await Promise.all(checks.map(async (c) => ({ name: c.name, error: await runCheck(c) })));
    const down = results.filter((r) => r.error !== undefined);
    if (down.length === 0) {
      res.json({ status: 'ok', checks: Object.fromEntries(results.map((r) => [r.name, 'ok'])) });
      return;
    }
    sendProblem(res, problem(503, `not ready: ${down.map((d) => `${d.name} unreachable (${d.error})`).join('; ')}`));
  });
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

async function runCheck(c: ReadinessCheck): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${CHECK_TIMEOUT_MS} ms`), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([c.check().then(() => undefined), timeout]);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}
