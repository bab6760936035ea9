import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { UnauthorizedError } from '@video-jobs/core';

export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

const HOW_TO_SEND = 'send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>"';

/**
 * API_KEYS unset: open, every job visible. Set: a valid key is needed, as `Authorization: Bearer
 * <key>` or `X-API-Key: <key>` (what forgesyte-style web clients send), and the key's hash becomes
 * the request's owner. Hashes are compared in constant time and every configured key is checked,
 * so timing says nothing about which key nearly matched.
 */
export function apiKeyAuth(apiKeys: readonly string[]): RequestHandler {
  const hashes = apiKeys.map((k) => Buffer.from(hashApiKey(k), 'hex'));
  return (req, _res, next) => {
    if (hashes.length === 0) {
      req.owner = null;
      return next();
    }
    const presentedKey = keyOf(req);
    if (presentedKey instanceof UnauthorizedError) return next(presentedKey);
    const presented = Buffer.from(hashApiKey(presentedKey), 'hex');
    let found = false;
    for (const h of hashes) found = timingSafeEqual(h, presented) || found;
    if (!found) return next(new UnauthorizedError('the API key is not valid'));
    req.owner = presented.toString('hex');
    next();
  };
}

/** The key a request presents; two different keys in the two headers are refused, not guessed between. */
function keyOf(req: Request): string | UnauthorizedError {
  const authorization = req.get('authorization');
  const header = req.get('x-api-key');
  const bearer = authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
  const xApiKey = header === undefined ? undefined : /^\s*(\S+)\s*$/.exec(header)?.[1];
  if (authorization !== undefined && bearer === undefined) return new UnauthorizedError(HOW_TO_SEND);
  if (header !== undefined && xApiKey === undefined) return new UnauthorizedError(HOW_TO_SEND);
  if (bearer !== undefined && xApiKey !== undefined && bearer !== xApiKey) {
    return new UnauthorizedError('the request carries two different API keys; send one');
  }
  return bearer ?? xApiKey ?? new UnauthorizedError(HOW_TO_SEND);
}
