import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { PayloadTooLargeError, UnsupportedMediaError, ValidationError } from '@video-jobs/core';

const SIGNATURE_BYTES = 8;

/**
 * Passes an upload through while checking it is an MP4 (an ISO-BMFF `ftyp` box at byte 4) and no
 * larger than the limit. It fails on the first bad bytes, so a wrong file is refused before it is
 * stored, and an oversized one as soon as it crosses the limit.
 */
export class Mp4UploadGuard extends Transform {
  private head = Buffer.alloc(0);
  private bytes = 0;

  /** `hash`, when given, sees every byte that passes (an Idempotency-Key submit hashes its file). */
  constructor(
    private readonly maxBytes: number,
    private readonly hash?: Hash,
  ) {
    super();
  }

  get size(): number {
    return this.bytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash?.update(chunk);
    if (this.bytes > this.maxBytes) {
      return done(new PayloadTooLargeError(`the file is larger than the limit of ${this.maxBytes} bytes`));
    }
    if (this.head.length < SIGNATURE_BYTES) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < SIGNATURE_BYTES) return done();
      if (this.head.subarray(4, 8).toString('latin1') !== 'ftyp') return done(notMp4());
      const held = this.head;
      return done(null, held);
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.bytes === 0) return done(new ValidationError('the file is empty'));
    if (this.head.length < SIGNATURE_BYTES) return done(notMp4());
    done();
  }
}

const notMp4 = () =>
  new UnsupportedMediaError('the file is not an MP4 (no ISO-BMFF "ftyp" box at byte 4); upload an .mp4 video');
