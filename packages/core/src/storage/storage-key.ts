import { InvalidKeyError } from '../errors';

/**
 * Checks a storage key: non-empty `/`-separated segments, none of them `.` or `..`, no leading
 * `/`, no backslash, no NUL or other control character. Both backends use it, so a key that would
 * escape LocalStorage's root is refused everywhere, and a key means the same on every backend.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError('storage key is empty');
  if (key.length > 1024) throw new InvalidKeyError('storage key is longer than 1024 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new InvalidKeyError('storage key contains a control character');
  if (key.includes('\\')) throw new InvalidKeyError('storage key contains a backslash');
  if (key.startsWith('/')) throw new InvalidKeyError('storage key is an absolute path');
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new InvalidKeyError(`storage key has an empty, "." or ".." segment: ${JSON.stringify(key)}`);
    }
  }
}
