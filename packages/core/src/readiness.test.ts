import { writeFile, rm, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { mountSmallFilesystem } from './test-support';
import { checkReadiness, freeSpaceCheck, formatBytes, type ReadinessCheck } from './readiness';

const MiB = 1024 * 1024;
const local = (dataDir: string, min: number) => ({ STORAGE: 'local', DATA_DIR: dataDir, MIN_FREE_BYTES: min }) as const;

describe(checkReadiness.name, () => {
  it('lists every check as ok when all pass', async () => {
    const ok: ReadinessCheck = { name: 'database', check: async () => undefined };
    expect(await checkReadiness([ok, { ...ok, name: 'queue' }])).toEqual({
      ready: true,
      checks: { database: 'ok', queue: 'ok' },
    });
  });

  it('names each failing check, "unreachable" for an error', async () => {
    const down: ReadinessCheck = {
      name: 'queue',
      check: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      },
    };
    expect(await checkReadiness([{ name: 'database', check: async () => undefined }, down])).toEqual({
      ready: false,
      detail: 'not ready: queue unreachable (connect ECONNREFUSED 127.0.0.1:6379)',
    });
  });
});

describe(freeSpaceCheck.name, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'readiness-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('is off with MIN_FREE_BYTES=0 and for S3 storage', () => {
    expect(freeSpaceCheck(local(dir, 0))).toBeUndefined();
    expect(freeSpaceCheck({ STORAGE: 's3', DATA_DIR: dir, MIN_FREE_BYTES: MiB })).toBeUndefined();
  });

  it('passes while the disk has more than MIN_FREE_BYTES free, even before DATA_DIR/objects exists', async () => {
    expect(await checkReadiness([freeSpaceCheck(local(path.join(dir, 'not', 'yet'), 1))!])).toEqual({
      ready: true,
      checks: { free_space: 'ok' },
    });
  });

  it('says not ready, with the free space and the threshold, below MIN_FREE_BYTES', async () => {
    const r = await checkReadiness([freeSpaceCheck(local(dir, Number.MAX_SAFE_INTEGER))!]);
    expect(r.ready).toBe(false);
    expect(!r.ready && r.detail).toMatch(
      /^not ready: free_space: local storage has [\d.]+ [KMGT]iB free, less than MIN_FREE_BYTES \(8192\.0 TiB\); free space or raise the volume$/,
    );
  });

  it('follows a real small filesystem as it fills and empties', async () => {
    const small = await mountSmallFilesystem(4 * MiB);
    try {
      if (!small.mounted) {
        console.warn(`readiness.test: cannot mount a tmpfs (${small.refused}); the filling case is skipped`);
        return;
      }
      const check = freeSpaceCheck(local(small.dir, 2 * MiB))!;
      expect((await checkReadiness([check])).ready).toBe(true);
      await writeFile(path.join(small.dir, 'objects-filler'), Buffer.alloc(3 * MiB));
      expect(await checkReadiness([check])).toEqual({
        ready: false,
        detail:
          'not ready: free_space: local storage has 1.0 MiB free, less than MIN_FREE_BYTES (2.0 MiB); free space or raise the volume',
      });
      await rm(path.join(small.dir, 'objects-filler'));
      expect((await checkReadiness([check])).ready).toBe(true);
    } finally {
      await small.close();
    }
  });
});

describe(formatBytes.name, () => {
  it('uses binary units with one decimal', () => {
    expect(formatBytes(512)).toBe('512 bytes');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1024 ** 3)).toBe('1.0 GiB');
  });
});
