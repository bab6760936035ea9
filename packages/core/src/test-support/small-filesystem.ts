import { execFile } from 'node:child_process';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SmallFilesystem {
  /** The mount point (or, when mounting was refused, a plain temp directory). */
  dir: string;
  /** true: `dir` is a tmpfs of the asked size, so writes past it fail with the kernel's ENOSPC. */
  mounted: boolean;
  /** Why mounting did not happen, for the test to say it used its fallback. */
  refused?: string;
  /** Bytes free on the filesystem of `dir`. */
  freeBytes(): Promise<number>;
  /** Grows or shrinks the mounted tmpfs (what an operator freeing space looks like); needs `mounted`. */
  resize(bytes: number): Promise<void>;
  /** Unmounts (if mounted) and removes the directory. */
  close(): Promise<void>;
}

/**
 * A real small filesystem for full-disk tests: a tmpfs of `bytes` mounted on a fresh temp
 * directory. Needs root (or CAP_SYS_ADMIN); where mounting is refused (an unprivileged CI runner,
 * a container without the capability) it gives a plain directory and `mounted: false`, and the
 * test falls back to a storage that fails with the real error code.
 */
export async function mountSmallFilesystem(bytes: number): Promise<SmallFilesystem> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'video-jobs-small-fs-'));
  let mounted = false;
  let refused: string | undefined;
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil(bytes / 1024)}k,mode=0700`, 'tmpfs', dir]);
    mounted = true;
  } catch (err) {
    refused = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
  }
  let closing: Promise<void> | undefined;
  return {
    dir,
    mounted,
    refused,
    async freeBytes() {
      const s = await statfs(dir);
      return s.bavail * s.bsize;
    },
    async resize(size: number) {
      if (!mounted) throw new Error('resize needs a mounted small filesystem');
      await run('mount', ['-o', `remount,size=${Math.ceil(size / 1024)}k`, dir]);
    },
    close() {
      closing ??= (async () => {
        if (mounted) await run('umount', [dir]);
        await rm(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
