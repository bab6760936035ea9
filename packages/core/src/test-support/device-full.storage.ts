import type { Readable } from 'node:stream';
import { LocalStorage } from '../storage/local.storage';
import { localWriteError } from '../storage/storage-errors';
import { writeFileFrom } from '../storage/write-file';

/**
 * The fallback of full-disk tests where no small filesystem can be mounted: LocalStorage under
 * `root`, except that put() writes into /dev/full, so it fails with the kernel's own ENOSPC
 * (named the way LocalStorage names it) after taking some of the body, and keeps nothing.
 */
export class DeviceFullStorage extends LocalStorage {
  override async put(key: string, body: Readable): Promise<{ bytes: number }> {
    try {
      await writeFileFrom(body, '/dev/full', { flags: 'w' });
    } catch (err) {
      throw localWriteError(err, key);
    }
    throw new Error('/dev/full accepted a write: this machine has no full device to test with');
  }
}
