import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError, RangeNotSatisfiableError } from '../errors';
import type { Logger } from '../logger';
import { reportCleanupFailure } from './cleanup-failure';
import { assertValidRange, type ByteRange, type ObjectStorage } from './object-storage';
import { localWriteError } from './storage-errors';
import { assertValidKey } from './storage-key';
import { writeFileFrom } from './write-file';

/** Temp files sit beside their target as `.<name>.<hex>.partial`; list() never shows them. */
const TEMP_FILE = /^\..+\.[0-9a-f]{16}\.partial$/;

/**
 * Objects as files under `root` (DATA_DIR/objects). put() writes to a temp name in the target's
 * directory, flushes it to disk, then renames: rename is atomic within a directory, so a crash or
 * a failed stream never leaves a half file under the real name.
 */
export class LocalStorage implements ObjectStorage {
  private readonly root: string;

  /** `logger` receives clean-up failures (a temp file that could not be removed). */
  constructor(
    root: string,
    private readonly options: { logger?: Logger } = {},
  ) {
    this.root = path.resolve(root);
  }

  async put(key: string, body: Readable): Promise<{ bytes: number }> {
    const file = this.pathOf(key);
    await mkdir(path.dirname(file), { recursive: true }).catch((err: unknown) => {
      throw localWriteError(err, key);
    });
    const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(8).toString('hex')}.partial`);
    let bytes: number;
    try {
      bytes = await writeFileFrom(body, temp, { flags: 'wx', flush: true });
      await rename(temp, file);
    } catch (err) {
      await unlink(temp).catch((cleanupErr: NodeJS.ErrnoException) => {
        if (cleanupErr.code !== 'ENOENT')
          reportCleanupFailure(this.options.logger, `could not remove ${temp}`, cleanupErr);
      });
      // A full disk (ENOSPC, EDQUOT) gets its name: 507 at submit, a release in the worker.
      throw localWriteError(err, key);
    }
    return { bytes };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    if (range) assertValidRange(range);
    const file = this.pathOf(key);
    const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw isMissing(err) ? new NotFoundError(`no object under ${key}`) : err;
    });
    let size: number;
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new NotFoundError(`no object under ${key}`);
      size = info.size;
      if (range && range.start >= size) {
        throw new RangeNotSatisfiableError(`byte ${range.start} is past the end of ${key} (${size} bytes)`, size);
      }
    } catch (err) {
      await handle.close();
      throw err;
    }
    // The open handle keeps reading the same file even if a put() renames a new one over it.
    if (!range) return handle.createReadStream();
    return handle.createReadStream({ start: range.start, end: Math.min(range.end, size - 1) });
  }

  async size(key: string): Promise<number> {
    const info = await stat(this.pathOf(key)).catch((err: NodeJS.ErrnoException) => {
      throw isMissing(err) ? new NotFoundError(`no object under ${key}`) : err;
    });
    if (!info.isFile()) throw new NotFoundError(`no object under ${key}`);
    return info.size;
  }

  async delete(key: string): Promise<void> {
    await unlink(this.pathOf(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  async exists(key: string): Promise<boolean> {
    const info = await stat(this.pathOf(key)).catch((err: NodeJS.ErrnoException) => {
      if (isMissing(err)) return undefined;
      throw err;
    });
    return info?.isFile() ?? false;
  }

  async list(prefix: string): Promise<string[]> {
    // Walk only the directory the prefix is surely inside: "video_jobs/ab" → root/video_jobs.
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    if (dirPart) assertValidKey(dirPart);
    const keys: string[] = [];
    await this.walk(path.join(this.root, dirPart), dirPart, keys);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.W_OK);
  }

  /** The file for a key; the key check guarantees it lies inside root. */
  private pathOf(key: string): string {
    assertValidKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  private async walk(dir: string, keyPrefix: string, into: string[]): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (isMissing(err)) return [];
      throw err;
    });
    for (const entry of entries) {
      const key = keyPrefix ? `${keyPrefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await this.walk(path.join(dir, entry.name), key, into);
      else if (entry.isFile() && !TEMP_FILE.test(entry.name)) into.push(key);
    }
  }
}

/** ENOENT, or ENOTDIR when a key passes through a path that is a file. */
function isMissing(err: NodeJS.ErrnoException): boolean {
  return err.code === 'ENOENT' || err.code === 'ENOTDIR';
}
