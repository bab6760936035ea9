import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface WriteFileOptions {
  /** fs open flags; 'w' unless told. */
  flags?: string;
  /** fsync before close, so a file renamed afterwards has its data even after a power cut. */
  flush?: boolean;
  signal?: AbortSignal;
}

/**
 * Pipes `body` into `file` and returns the bytes written. It settles only once the file is closed:
 * a write stream opens its file lazily, and when the body fails at once, pipeline() rejects before
 * that open has landed, so a caller that removed the file on the rejection would race the open and
 * leave the file behind.
 */
export async function writeFileFrom(body: Readable, file: string, options: WriteFileOptions = {}): Promise<number> {
  const out = createWriteStream(file, { flags: options.flags ?? 'w', flush: options.flush });
  try {
    await pipeline(body, out, { signal: options.signal });
  } catch (err) {
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    throw err;
  }
  return out.bytesWritten;
}
