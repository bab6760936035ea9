import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { errorHandler, notFoundHandler } from '../src/http/error-handler';
import { consoleRoutes, defaultConsoleDir } from '../src/routes/console.routes';
import { createLogger } from '@video-jobs/core';

/** The routes alone, over the built console (root `pnpm build` builds it before the tests run). */
function appWith(dir: string | undefined) {
  const app = express();
  app.use(consoleRoutes(dir));
  app.use(notFoundHandler);
  app.use(errorHandler(createLogger('error', { silent: true })));
  return app;
}

describe('console routes (/ui)', () => {
  const app = appWith(defaultConsoleDir());

  it('redirects /ui to /ui/ so the page resolves its files relative to it', async () => {
    const res = await request(app).get('/ui');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/ui/');
  });

  it('serves the page with a same-origin content security policy and revalidation', async () => {
    const res = await request(app).get('/ui/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('<script type="module" src="app.js">');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers.etag).toBeDefined();
  });

  it('serves the bundle, the stylesheet and the service worker from /ui/', async () => {
    for (const [file, type] of [
      ['app.js', /javascript/],
      ['app.css', /text\/css/],
      ['sw.js', /javascript/],
    ] as const) {
      const res = await request(app).get(`/ui/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(type);
    }
  });

  it('answers 404 problem details for a file the console does not have', async () => {
    const res = await request(app).get('/ui/nothing.js');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('says the console is not built when its files are missing, instead of a bare 404', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'video-jobs-console-'));
    try {
      const res = await request(appWith(empty)).get('/ui/');
      expect(res.status).toBe(404);
      expect(res.body.detail).toMatch(/console is not built.*pnpm build/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
