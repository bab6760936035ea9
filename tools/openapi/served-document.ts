import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * The OpenAPI document exactly as the app serves it: starts `node apps/api` (embedded, in a temp
 * DATA_DIR; needs `pnpm build` and the model), fetches /openapi.json, stops the app.
 */
export async function fetchServedDocument(): Promise<unknown> {
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'video-jobs-openapi-'));
  const child = spawn(process.execPath, [path.join(root, 'apps', 'api')], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the API exited before serving: ${stderr.trim()}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/openapi.json`);
        if (res.ok) return await res.json();
      } catch {
        // Not listening yet: PGlite's first start and the pipeline take several seconds.
      }
      if (Date.now() > deadline) throw new Error(`the API did not serve /openapi.json within 120 s: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}
