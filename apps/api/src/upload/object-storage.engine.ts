import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request } from 'express';
import type { StorageEngine } from 'multer';
import type { Logger } from '@video-jobs/core';
import { inputKey, type ObjectStorage } from '@video-jobs/core';
import { Mp4UploadGuard } from './mp4-upload-guard';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Chosen before the upload starts: the upload is stored under this job's key. */
      jobId: string;
    }
    // eslint-disable-next-line @typescript-eslint/no-namespace
    namespace Multer {
      interface File {
        key: string;
        /** false when the upload was only checked and hashed: an Idempotency-Key replay stores nothing. */
        stored: boolean;
      }
    }
  }
}

/**
 * A multer storage engine that streams the upload straight into ObjectStorage under the job's
 * input key: no memory storage, no temp copy. The client's filename is never used.
 */
export class ObjectStorageEngine implements StorageEngine {
  constructor(
    private readonly storage: ObjectStorage,
    private readonly maxBytes: number,
    private readonly logger: Logger,
  ) {}

  _handleFile(
    req: Request,
    file: Express.Multer.File,
    cb: (error?: unknown, info?: Partial<Express.Multer.File>) => void,
  ): void {
    const key = inputKey(req.jobId);
    const guard = new Mp4UploadGuard(this.maxBytes, req.idempotency?.fileHash);
    if (req.idempotency?.replayOf) {
      // The key already names a job: read the upload only to hash it (same file or not), store nothing.
      pipeline(file.stream, guard, discard()).then(
        () => cb(null, { key, size: guard.size, stored: false }),
        (err) => cb(err),
      );
      return;
    }
    file.stream.on('error', (err) => guard.destroy(err));
    // The guard can refuse the first chunk before put() has attached its pipeline (it may await
    // a mkdir first). put() still sees the error through the destroyed stream and rejects; this
    // listener only keeps that early failure from also being an uncaught 'error' event.
    guard.on('error', () => undefined);
    file.stream.pipe(guard);
    this.storage.put(key, guard).then(
      ({ bytes }) => cb(null, { key, size: bytes, stored: true }),
      (err) => {
        // Storage removes its partial object; delete again so no backend can keep one.
        this.storage
          .delete(key)
          .catch((cleanupErr) =>
            this.logger.error('could not remove a partial upload', { key, error: String(cleanupErr) }),
          )
          .finally(() => cb(err));
      },
    );
  }

  _removeFile(_req: Request, file: Express.Multer.File, cb: (error: Error | null) => void): void {
    if (!file.stored) return cb(null);
    this.storage.delete(file.key).then(() => cb(null), cb);
  }
}

/** A sink that drops what it is given. */
function discard(): Writable {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
