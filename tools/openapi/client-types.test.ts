import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

describe('client types', () => {
  it('packages/client/src/openapi-types.ts matches what pnpm client:types generates from the served document', async () => {
    const root = path.resolve(__dirname, '..', '..');
    // openapi-typescript is ESM-only and jest runs CommonJS: run the generator as the script does.
    const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
    const check = spawnSync(tsx, [path.join(__dirname, 'client-types.ts'), '--check'], { cwd: root, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(await readFile(path.join(root, 'packages/client/src/openapi-types.ts'), 'utf8')).toMatch(
      /operations\["listJobs"\]/,
    );
  }, 60_000);
});
