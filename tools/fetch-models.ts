/**
 * Puts the default detector model under <repo>/models/ (`pnpm models:fetch`).
 * Copies it from ../shared/models/ (next to the repository) when that exists, otherwise downloads
 * the upstream YOLOX release asset; the sha256 is checked either way, and a file already in place
 * with the right hash is left alone. The model is never committed (models/ is git-ignored).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';

const repoRoot = path.resolve(__dirname, '..');
const MODELS: Model[] = [
  {
    file: 'yolox_nano.onnx',
    sha256: 'e8af074932d4ed7e232278e3055cefcdea3edf178874a3694ae292649fb464dd',
    url: 'https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx',
  },
];

interface Model {
  file: string;
  sha256: string;
  url: string;
}

async function sha256Of(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

async function exists(file: string): Promise<boolean> {
  return fs.promises.access(file).then(
    () => true,
    () => false,
  );
}

/** Writes to a temp name and renames only after the hash matches, so a failed fetch leaves nothing half-written. */
async function fetchModel({ file, sha256, url }: Model): Promise<void> {
  const dest = path.join(repoRoot, 'models', file);
  if ((await exists(dest)) && (await sha256Of(dest)) === sha256) {
    console.log(`models: ${file} already present (sha256 ok)`);
    return;
  }
  await fs.promises.mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  const shared = path.resolve(repoRoot, '..', 'shared', 'models', file);
  let source: string | undefined;
  try {
    if (await exists(shared)) {
      source = shared;
      await fs.promises.copyFile(shared, tmp);
      // The shared copy is read-only; ours should be replaceable by the next fetch.
      await fs.promises.chmod(tmp, 0o644);
    } else {
      source = url;
      console.log(`models: downloading ${url}`);
      const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      await pipeline(Readable.fromWeb(res.body), fs.createWriteStream(tmp));
    }
    const actual = await sha256Of(tmp);
    if (actual !== sha256) {
      throw new Error(`sha256 mismatch: expected ${sha256}, got ${actual}`);
    }
    await fs.promises.rename(tmp, dest);
    console.log(`models: ${file} ready (from ${source}, sha256 ok)`);
  } catch (caught) {
    const err = caught as Error;
    const cause =
      err.cause instanceof Error ? err.cause.message : err.cause === undefined ? '' : JSON.stringify(err.cause);
    await fs.promises.rm(tmp, { force: true });
    throw new Error(
      `could not fetch ${file} from ${source ?? url}: ${err.message}${cause ? ` (${cause})` : ''}\n` +
        `  Put a copy with sha256 ${sha256} at ${dest} (or at ${shared}) and run again.`,
    );
  }
}

(async () => {
  for (const model of MODELS) await fetchModel(model);
})().catch((err: Error) => {
  console.error(`models:fetch failed: ${err.message}`);
  process.exit(1);
});
