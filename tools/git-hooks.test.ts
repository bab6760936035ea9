import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installHooks, reasonToSkip } from './git-hooks';

/** A throw-away repository with the root package.json's hook config and one commit. */
function makeRepo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'git-hooks-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  const root = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: 'hooks-test',
      devDependencies: { 'simple-git-hooks': '*' },
      'simple-git-hooks': root['simple-git-hooks'],
    }),
  );
  git('add', '.');
  git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'init');
  return dir;
}

describe('tools/git-hooks.ts (run by pnpm install)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const noCi = { ...process.env, CI: '' };

  it('installs the pre-commit hook that runs lint-staged in a plain checkout', () => {
    const repo = makeRepo();
    dirs.push(repo);
    expect(installHooks(repo, { env: noCi })).toBe(true);
    const hook = fs.readFileSync(path.join(repo, '.git', 'hooks', 'pre-commit'), 'utf8');
    expect(hook).toContain('pnpm exec lint-staged');
    expect(fs.statSync(path.join(repo, '.git', 'hooks', 'pre-commit')).mode & 0o111).not.toBe(0);
  });

  it('leaves a linked worktree alone, since its hooks would run in every worktree', () => {
    const repo = makeRepo();
    const worktree = `${repo}-wt`;
    dirs.push(repo, worktree);
    execFileSync('git', ['worktree', 'add', '-q', worktree, '-b', 'other'], { cwd: repo, stdio: 'ignore' });
    expect(reasonToSkip(worktree, { env: noCi })).toMatch(/linked worktree/);
    expect(installHooks(worktree, { env: noCi })).toBe(false);
    expect(fs.existsSync(path.join(repo, '.git', 'hooks', 'pre-commit'))).toBe(false);
  });

  it('does nothing without a git checkout (a Docker build) or in CI', () => {
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'git-hooks-nogit-'));
    dirs.push(plain);
    expect(reasonToSkip(plain, { env: noCi })).toBe('not a git checkout');
    const repo = makeRepo();
    dirs.push(repo);
    expect(reasonToSkip(repo, { env: { ...noCi, CI: 'true' } })).toBe('CI');
  });
});
