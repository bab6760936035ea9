import { StorageFullError, StorageUnavailableError } from '../errors';

/** errno codes of a local write that found no room, and the words a client or operator reads for them. */
const NO_ROOM: Record<string, string> = {
  ENOSPC: 'no space left on the storage device',
  EDQUOT: 'the storage disk quota is used up',
};

/** Socket errors: the S3 server is down, unreachable, or cut the connection. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** S3 error names that mean "not now": throttling, timeouts, a server-side outage. */
const UNAVAILABLE_NAMES = new Set([
  'SlowDown',
  'ServiceUnavailable',
  'InternalError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** MinIO's name for a server out of disk space (answered with 507). */
const FULL_NAMES = new Set(['XMinioStorageFull']);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * A local write's error as StorageFullError when the disk had no room (ENOSPC, EDQUOT); any other
 * error comes back unchanged. `what` names the object, never a file path (clients read it).
 */
export function localWriteError(err: unknown, what: string): unknown {
  const code = errnoCode(err);
  if (code !== undefined && code in NO_ROOM) {
    return new StorageFullError(`${NO_ROOM[code]} (${code}) while writing ${what}`, { cause: err });
  }
  return err;
}

/**
 * An S3 call's error as StorageUnavailableError (connection refused or reset, timeouts, 5xx such
 * as 503 SlowDown) or StorageFullError (507, MinIO's XMinioStorageFull); any other error (404, 403,
 * a bad request) comes back unchanged. The message carries codes, never the endpoint's address.
 */
export function s3Error(err: unknown, doing: string): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const e = err as ErrorShape;
  const status = e.$metadata?.httpStatusCode;
  const name = typeof e.name === 'string' ? e.name : '';
  if (FULL_NAMES.has(name) || status === 507) {
    return new StorageFullError(`S3 storage is out of space (${name || status}) while ${doing}`, { cause: err });
  }
  const code = errnoCode(err) ?? wrappedSocketCode(err);
  const why =
    code !== undefined && SOCKET_CODES.has(code)
      ? code
      : UNAVAILABLE_NAMES.has(name) || (status !== undefined && [500, 502, 503, 504].includes(status))
        ? [name, status].filter(Boolean).join(' ')
        : undefined;
  if (why === undefined) return err;
  return new StorageUnavailableError(`S3 storage is unavailable (${why}) while ${doing}`, { cause: err });
}

/**
 * A worker's copy of its input to the temp dir: the write can find the local disk full, and the
 * read can lose its S3 connection midway. Either becomes a typed storage error.
 */
export function transferError(err: unknown, what: string): unknown {
  const local = localWriteError(err, what);
  return local !== err ? local : s3Error(err, `copying ${what}`);
}

/** The errno code of an error, also when Node wraps several attempts in an AggregateError. */
function errnoCode(err: unknown): string | undefined {
  const e = err as ErrorShape | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (Array.isArray(e?.errors)) {
    const first = (e.errors as ErrorShape[]).find((x) => typeof x?.code === 'string');
    return first?.code as string | undefined;
  }
  return undefined;
}

/**
 * The SDK's retry layer keeps only the text of an error that is not an `Error` of its own realm
 * ("AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9000"), as happens under a
 * vm sandbox such as jest's: the socket code is then read from that text.
 */
function wrappedSocketCode(err: unknown): string | undefined {
  const message = (err as { message?: unknown }).message;
  if (typeof message !== 'string' || !message.startsWith('AWS SDK error wrapper for')) return undefined;
  return /\b(E[A-Z_]+)\b/.exec(message)?.[1];
}
