import { existsSync } from 'node:fs';
import http from 'node:http';

let reachable: Promise<boolean> | undefined;

/** Whether a Docker daemon answers (DOCKER_HOST set, or /var/run/docker.sock answers /_ping). */
export function dockerReachable(): Promise<boolean> {
  reachable ??= (async () => {
    if (process.env.DOCKER_HOST) return true;
    const socketPath = '/var/run/docker.sock';
    if (!existsSync(socketPath)) return false;
    return new Promise<boolean>((resolve) => {
      const req = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
    });
  })();
  return reachable;
}
