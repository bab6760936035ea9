import { RangeNotSatisfiableError, type ByteRange } from '@video-jobs/core';

/**
 * The one range of a `Range: bytes=...` header (RFC 9110 §14) over an object of `size` bytes, with
 * `end` clamped to the last byte. undefined means "send the whole object": no header, a unit other
 * than bytes, a malformed value, or several ranges (a server may ignore Range, §14.2; players ask
 * for one range at a time, so multipart/byteranges is not worth its code). A well-formed range
 * that selects no byte is RangeNotSatisfiableError (416).
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const unsatisfiable = () =>
    new RangeNotSatisfiableError(`the range ${header.trim()} selects no byte of the ${size}-byte input`, size);
  if (m[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? Number.MAX_SAFE_INTEGER : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end: Math.min(end, size - 1) };
}
