import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileFrom } from './write-file';

/** A body that fails before its first byte, the case where the lazy open raced the caller's cleanup. */
const failingAtOnce = () =>
  new Readable({
    read() {
      this.destroy(new Error('connection reset'));
    },
  });

/** This process's open descriptors on `file` (Linux /proc), read synchronously so nothing closes meanwhile. */
function descriptorsOn(file: string): string[] {
  const target = (fd: string) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      return ''; // the descriptor readdirSync itself used, gone by now
    }
  };
  return readdirSync('/proc/self/fd').filter((fd) => target(fd) === file);
}

describe('writeFileFrom', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'write-file-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the whole body and returns its size', async () => {
    const file = path.join(dir, 'out.bin');
    const body = Readable.from([Buffer.from('hello '), Buffer.from('world')]);
    expect(await writeFileFrom(body, file)).toBe(11);
    expect(await readFile(file, 'utf8')).toBe('hello world');
  });

  it('rejects only after the file is opened and closed again, so removing it then leaves nothing behind', async () => {
    for (let i = 0; i < 30; i++) {
      const file = path.join(dir, `broken-${i}.part`);
      await expect(writeFileFrom(failingAtOnce(), file)).rejects.toThrow('connection reset');
      // Rejecting earlier, while the lazy open is still in flight, is what let the file appear after
      // the caller's rm: here the open has landed and no descriptor is left on the file.
      expect(existsSync(file)).toBe(true);
      expect(descriptorsOn(file)).toEqual([]);
      await rm(file);
    }
    await sleep(20);
    expect(await readdir(dir)).toEqual([]);
  });

  it('stops and rejects when the signal aborts', async () => {
    const controller = new AbortController();
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(1024));
    const file = path.join(dir, 'aborted.bin');
    const write = writeFileFrom(body, file, { signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(write).rejects.toThrow();
    expect(body.destroyed).toBe(true);
  });
});
