import { PassThrough } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { createLogger, type LogLevel } from '@video-jobs/core';
import { requestLogging } from './request-id';

function appLoggingAt(level: LogLevel) {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (c: Buffer) =>
    lines.push(
      ...c
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ),
  );
  const app = express();
  app.use(requestLogging(createLogger(level, { stream })));
  app.get('/ping', (_req, res) => res.status(204).end());
  return { app, lines };
}

describe('requestLogging', () => {
  it('logs one line per finished request at LOG_LEVEL http, with the id it echoes', async () => {
    const { app, lines } = appLoggingAt('http');
    const res = await request(app).get('/ping?x=1').expect(204);
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'http',
        message: 'request',
        request_id: res.headers['x-request-id'],
        method: 'GET',
        path: '/ping',
        status: 204,
      }),
    ]);
    expect(lines[0].duration_ms).toEqual(expect.any(Number));
  });

  it('logs nothing at the default level but still gives the request an id', async () => {
    const { app, lines } = appLoggingAt('info');
    const res = await request(app).get('/ping').expect(204);
    await new Promise((r) => setImmediate(r));
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toEqual([]);
  });
});
