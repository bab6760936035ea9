import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A fresh temporary directory and a function that removes it (call it in afterAll). */
export async function makeTempDir(prefix = 'video-jobs-test-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}
