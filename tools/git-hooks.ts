// `pnpm install` runs this (the root `prepare` script): installs the pre-commit hook of package.json's
// "simple-git-hooks" (lint-staged: format and lint the staged files, then the vocabulary validator)
// where that is harmless, and says why not elsewhere. It never fails the install.
//   - no git checkout (a Docker build context has no .git): nothing to do;
//   - CI: commits are not made there;
//   - a linked worktree (`git worktree add`): hooks live in the repository's common .git/hooks and
//     would run in every worktree of it, other people's included; `--force` installs them anyway;
//   - core.hooksPath set: the repository chose its own hooks; left alone.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

/** Why the hook is not installed in `dir`, or undefined when it should be. */
export function reasonToSkip(dir: string, { force = false, env = process.env } = {}): string | undefined {
  if (env.CI) return 'CI';
  let gitDir: string;
  let commonDir: string;
  try {
    gitDir = path.resolve(dir, git(dir, 'rev-parse', '--git-dir'));
    commonDir = path.resolve(dir, git(dir, 'rev-parse', '--git-common-dir'));
  } catch {
    return 'not a git checkout';
  }
  if (gitDir !== commonDir && !force) {
    return 'a linked worktree: its hooks are shared by every worktree of the repository (run `pnpm hooks:install --force` to install them anyway)';
  }
  try {
    if (git(dir, 'config', 'core.hooksPath')) return 'core.hooksPath is set: the repository has hooks of its own';
  } catch {
    // not set: git exits 1
  }
  return undefined;
}

/** Installs the hooks in `dir` (a checkout with package.json's "simple-git-hooks"), or says why not. */
export function installHooks(dir: string, options: { force?: boolean; env?: NodeJS.ProcessEnv } = {}): boolean {
  const skip = reasonToSkip(dir, options);
  if (skip) {
    console.log(`git hooks: not installed (${skip})`);
    return false;
  }
  execFileSync(process.execPath, [require.resolve('simple-git-hooks/cli.js')], { cwd: dir, stdio: 'inherit' });
  return true;
}

if (require.main === module) {
  try {
    installHooks(process.cwd(), { force: process.argv.includes('--force') });
  } catch (err) {
    // A hook is a convenience: an install must not fail for want of one.
    console.log(`git hooks: not installed (${(err as Error).message})`);
  }
}
