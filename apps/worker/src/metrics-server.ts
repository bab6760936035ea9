import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** The worker's own /metrics (and /healthz) on METRICS_PORT; 0 picks a free port. */
export async function startMetricsServer(port: number, registry: Registry): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (err) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err)),
      );
    } else if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
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
