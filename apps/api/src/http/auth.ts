import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from '@video-jobs/core';

export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/**
 * API_KEYS unset: open, every job visible. Set: a valid `Authorization: Bearer <key>` is needed and
 * the key's hash becomes the request's owner. Hashes are compared in constant time and every
 * configured key is checked, so timing says nothing about which key nearly matched.
 */
export function apiKeyAuth(apiKeys: readonly string[]): RequestHandler {
  const hashes = apiKeys.map((k) => Buffer.from(hashApiKey(k), 'hex'));
  return (req, _res, next) => {
    if (hashes.length === 0) {
      req.owner = null;
      return next();
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match) return next(new UnauthorizedError('send an API key as "Authorization: Bearer <key>"'));
    const presented = Buffer.from(hashApiKey(match[1]), 'hex');
    let found = false;
    for (const h of hashes) found = timingSafeEqual(h, presented) || found;
    if (!found) return next(new UnauthorizedError('the API key is not valid'));
    req.owner = presented.toString('hex');
    next();
  };
}
