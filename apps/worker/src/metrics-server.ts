import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { checkReadiness, type ReadinessCheck } from '@video-jobs/core';

/**
 * The worker's own /metrics, /healthz and /readyz on METRICS_PORT; 0 picks a free port. /readyz
 * runs `checks` (database, queue, storage, free space) and answers 503 with a problem naming the
 * failing ones, as the API's does.
 */
export async function startMetricsServer(
  port: number,
  registry: Registry,
  checks: readonly ReadinessCheck[] = [],
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err)),
      );
    } else if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    } else if (req.method === 'GET' && req.url === '/readyz') {
      void checkReadiness(checks).then((r) => {
        if (r.ready) {
          res
            .writeHead(200, { 'Content-Type': 'application/json' })
            .end(JSON.stringify({ status: 'ok', checks: r.checks }));
          return;
        }
        const body = { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: r.detail };
        res.writeHead(503, { 'Content-Type': 'application/problem+json' }).end(JSON.stringify(body));
      });
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new MetricsPortError(port, err)));
    server.listen(port, '0.0.0.0', () => resolve());
  });
  return server;
}

/**
 * The metrics port could not be opened. The message names the variable to change, because the usual
 * cause is a second worker on the machine started with the same METRICS_PORT.
 */
export class MetricsPortError extends Error {
  constructor(port: number, cause: NodeJS.ErrnoException) {
    const why =
      cause.code === 'EADDRINUSE'
        ? 'is already in use (another worker on this machine?)'
        : `cannot be opened (${cause.code ?? cause.message})`;
    super(`metrics port ${port} ${why}: set METRICS_PORT to a free port, one per worker`, { cause });
    this.name = this.constructor.name;
  }
}

export const metricsPort = (server: http.Server) => (server.address() as AddressInfo).port;
