import type http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { freeSpaceCheck, type ReadinessCheck } from '@video-jobs/core';
import { metricsPort, startMetricsServer } from '../src/metrics-server';

let dir: string;
let server: http.Server | undefined;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'worker-readyz-'));
});
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function readyz(checks: ReadinessCheck[]) {
  server = await startMetricsServer(0, new Registry(), checks);
  const res = await fetch(`http://127.0.0.1:${metricsPort(server)}/readyz`);
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

const database: ReadinessCheck = { name: 'database', check: async () => undefined };
const freeSpace = (min: number) => freeSpaceCheck({ STORAGE: 'local', DATA_DIR: dir, MIN_FREE_BYTES: min })!;

describe('worker metrics server /readyz', () => {
  it('answers 200 listing its checks while all pass', async () => {
    expect(await readyz([database, freeSpace(1)])).toEqual({
      status: 200,
      type: 'application/json',
      body: { status: 'ok', checks: { database: 'ok', free_space: 'ok' } },
    });
  });

  it('answers 503 with a problem naming the free space below MIN_FREE_BYTES', async () => {
    const res = await readyz([database, freeSpace(Number.MAX_SAFE_INTEGER)]);
    expect(res.status).toBe(503);
    expect(res.type).toBe('application/problem+json');
    expect(res.body).toMatchObject({ type: 'about:blank', title: 'Service Unavailable', status: 503 });
    expect(res.body.detail).toMatch(/^not ready: free_space: local storage has .+ free, less than MIN_FREE_BYTES/);
  });

  it('answers 503 naming an unreachable dependency', async () => {
    const down: ReadinessCheck = {
      name: 'queue',
      check: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      },
    };
    expect((await readyz([database, down])).body.detail).toBe(
      'not ready: queue unreachable (connect ECONNREFUSED 127.0.0.1:6379)',
    );
  });
});
