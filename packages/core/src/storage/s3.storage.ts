import type { Readable } from 'node:stream';
import { Transform, pipeline } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NotFoundError, RangeNotSatisfiableError } from '../errors';
import type { Logger } from '../logger';
import { reportCleanupFailure } from './cleanup-failure';
import { assertValidRange, type ByteRange, type ObjectStorage } from './object-storage';
import { s3Error } from './storage-errors';
import { assertValidKey } from './storage-key';

export interface S3StorageOptions {
  bucket: string;
  region?: string;
  /** An S3-compatible server (MinIO, s3rver): implies path-style addressing. */
  endpoint?: string;
  /** Defaults to the SDK's chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, roles). */
  credentials?: S3ClientConfig['credentials'];
  /** Multipart part size in bytes (minimum and default 5 MiB). */
  partSize?: number;
  /**
   * Parts uploaded at once. Memory held per put() is about (queueSize + 2) × partSize: the parts
   * in flight, the next one filling, and lib-storage's copy. Default 1 (about 15 MB per upload):
   * uploads arrive at the client's pace anyway; raise it for fast links to a distant region.
   */
  queueSize?: number;
  /** A ready client instead of one built from the options above (tests add middleware to it). */
  client?: S3Client;
  /** Receives clean-up failures (an abort of a failed multipart upload that did not succeed). */
  logger?: Logger;
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Objects in an S3 bucket. put() streams the body as a multipart upload (@aws-sdk/lib-storage),
 * so memory stays at a few parts whatever the size; get() streams the response body.
 */
export class S3Storage implements ObjectStorage {
  readonly client: S3Client;
  private readonly bucket: string;

  constructor(private readonly options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.client =
      options.client ??
      new S3Client({
        region: options.region ?? 'us-east-1',
        endpoint: options.endpoint,
        forcePathStyle: options.endpoint !== undefined,
        credentials: options.credentials,
        // A server that does not accept the connection (down, or a black-holed address) fails the
        // call within seconds (then StorageUnavailableError), instead of the OS's minutes-long wait.
        requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS },
        // S3-compatible servers differ in support for the SDK's default CRC checksums and
        // aws-chunked bodies; send and check checksums only where the API requires them.
        ...(options.endpoint
          ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
          : {}),
      });
  }

  async put(key: string, body: Readable): Promise<{ bytes: number }> {
    assertValidKey(key);
    let bytes = 0;
    let sourceError: Error | undefined;
    // Seen first-hand, before pipeline() spreads it: the error that ends a failing source.
    body.once('error', (err) => (sourceError ??= err));
    // Count bytes on the way through. pipeline() carries an error of `body` into the upload (which
    // stops reading) and destroys `body` if the upload gives up first; the upload reports either.
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    // No error handling here on purpose: whatever ends the pipeline also rejects upload.done().
    pipeline(body, counted, () => undefined);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: counted },
      partSize: Math.max(MIN_PART_SIZE, this.options.partSize ?? MIN_PART_SIZE),
      queueSize: this.options.queueSize ?? 1,
      // We abort ourselves below, so the error thrown is the one that made the upload fail.
      leavePartsOnError: true,
    });
    try {
      await upload.done();
    } catch (err) {
      // A failing source (e.g. an upload over the size limit) is the cause; report that error.
      const cause = sourceError ?? s3Error(err, `writing ${key}`);
      counted.destroy();
      await this.abortMultipart(key, upload.uploadId);
      throw cause;
    }
    return { bytes };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    if (range) assertValidRange(range);
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          // S3 clamps an end past the last byte, as HTTP does, and answers 416 for a start past it.
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      const body = res.Body as Readable;
      return range ? this.checkedRange(key, body, range, res.ContentRange, res.ContentLength) : body;
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`no object under ${key}`, { cause: err });
      if (range && isRangeNotSatisfiable(err)) {
        const size = await this.size(key);
        throw new RangeNotSatisfiableError(`byte ${range.start} is past the end of ${key} (${size} bytes)`, size);
      }
      throw s3Error(err, `reading ${key}`);
    }
  }

  async size(key: string): Promise<number> {
    assertValidKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(`no object under ${key}`, { cause: err });
      throw s3Error(err, `reading the size of ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    // S3 answers 204 for a missing key too, so this is idempotent as the interface requires.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })).catch((err: unknown) => {
      throw s3Error(err, `deleting ${key}`);
    });
  }

  async exists(key: string): Promise<boolean> {
    assertValidKey(key);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw s3Error(err, `looking for ${key}`);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client
        .send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix || undefined, ContinuationToken: token }))
        .catch((err: unknown) => {
          throw s3Error(err, `listing ${prefix}`);
        });
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket })).catch((err: unknown) => {
      throw s3Error(err, 'checking the bucket');
    });
  }

  /**
   * S3 and MinIO answer a range exactly; some S3-compatible servers do not (s3rver reads
   * `bytes=0-0` as "to the end" and answers 206 for any range of an empty object). Hold every
   * server to the interface: past the end is RangeNotSatisfiableError, and no more than asked.
   */
  private checkedRange(
    key: string,
    body: Readable,
    range: ByteRange,
    contentRange?: string,
    length?: number,
  ): Readable {
    const total = /\/(\d+)$/.exec(contentRange ?? '')?.[1];
    if (total !== undefined && range.start >= Number(total)) {
      body.destroy();
      throw new RangeNotSatisfiableError(
        `byte ${range.start} is past the end of ${key} (${total} bytes)`,
        Number(total),
      );
    }
    const wanted = range.end - range.start + 1;
    if (length === undefined || length <= wanted) return body;
    return takeBytes(body, wanted);
  }

  /** Removes the parts of a failed multipart upload, so nothing is left (or billed) in the bucket. */
  private async abortMultipart(key: string, uploadId: string | undefined): Promise<void> {
    if (!uploadId) return; // a small body fails before any upload exists
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      reportCleanupFailure(this.options.logger, `could not abort the multipart upload of ${key}`, err);
    }
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

function isRangeNotSatisfiable(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'InvalidRange' || e?.$metadata?.httpStatusCode === 416;
}

/** The first `n` bytes of `source`, then the end; the rest of `source` is not read. */
function takeBytes(source: Readable, n: number): Readable {
  let left = n;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (left <= 0) return done();
      const part = chunk.length <= left ? chunk : chunk.subarray(0, left);
      left -= part.length;
      this.push(part);
      if (left === 0) {
        this.push(null);
        source.unpipe(out);
        source.destroy();
      }
      done();
    },
  });
  source.on('error', (err) => out.destroy(err));
  return source.pipe(out);
}
