import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Rng } from './random';
import { recipeFor } from './recipes';

export interface CorpusFile {
  index: number;
  kind: string;
  nature: 'hostile' | 'unusual';
  file: string;
  /** The recipe's own account of what it made. */
  desc: string;
  bytes: number;
  sha256: string;
}

/**
 * Builds file `index` of the corpus for `seed` under `dir`: a function of (seed, index, only)
 * alone, so one failing file can be rebuilt with `--seed S --index N`.
 */
export async function buildCorpusFile(
  seed: number,
  index: number,
  dir: string,
  only?: readonly string[],
): Promise<CorpusFile> {
  const recipe = recipeFor(index, only);
  const work = path.join(dir, `work-${index}`);
  await fs.mkdir(work, { recursive: true });
  const file = path.join(dir, `${String(index).padStart(4, '0')}-${recipe.kind}.mp4`);
  try {
    const desc = await recipe.build({ rng: Rng.forFile(seed, index), work, out: file });
    const data = await fs.readFile(file);
    return {
      index,
      kind: recipe.kind,
      nature: recipe.nature,
      file,
      desc,
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
    };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
