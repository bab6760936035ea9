import fs from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

/** ../shared next to the repository: sample media and models that are never committed. */
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
export const samplePath = (name: string) => path.join(sharedDir, 'samples', name);

/** The default model: <repo>/models (after `pnpm models:fetch`), else the shared copy. */
export function testModelPath(name = 'yolox_nano.onnx'): string {
  const candidates = [path.join(repoRoot, 'models', name), path.join(sharedDir, 'models', name)];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`test model ${name} not found in ${candidates.join(' or ')}: run \`pnpm models:fetch\``);
  return found;
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
