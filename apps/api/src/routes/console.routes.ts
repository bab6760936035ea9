import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import { NotFoundError } from '@video-jobs/core';

/** Where the console's built files are: the dist/ of the @video-jobs/console workspace package. */
export function defaultConsoleDir(): string | undefined {
  try {
    return path.join(path.dirname(require.resolve('@video-jobs/console/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

// The console loads nothing from elsewhere; media and the results download come from this origin
// (blob: for the download link). data: for the empty favicon that saves a 404 on every load.
const CSP = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "worker-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * GET /ui: the web console, static files served as built. The service worker (sw.js) is served
 * from /ui/ so its scope covers the console and nothing else. Files are small and not
 * fingerprinted, so browsers revalidate them (ETag) instead of caching blindly.
 */
export function consoleRoutes(dir: string | undefined = defaultConsoleDir()): Router {
  const router = Router();
  const built = dir !== undefined && existsSync(path.join(dir, 'index.html'));
  router.get('/ui', (req, res, next) => {
    // Relative asset paths need the trailing slash; /ui/ itself falls through to the files.
    if (req.originalUrl.split('?')[0] === '/ui') return res.redirect(301, '/ui/');
    next();
  });
  router.use('/ui', (_req, res, next) => {
    if (!built) return next(new NotFoundError('the console is not built: run `pnpm build`'));
    res.set({ 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' });
    next();
  });
  if (built) {
    router.use(
      '/ui',
      express.static(dir, {
        index: 'index.html',
        redirect: false,
        fallthrough: true,
        setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache'),
      }),
    );
  }
  return router;
}
