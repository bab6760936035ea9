/**
 * `pnpm lint:openapi`: the document the app serves, linted by @redocly/cli (pinned in
 * tools/package.json) with its recommended rules. Any error or warning fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fetchServedDocument } from './served-document';

async function main(): Promise<void> {
  const document = await fetchServedDocument();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'video-jobs-openapi-lint-'));
  try {
    const file = path.join(dir, 'openapi.json');
    await writeFile(file, JSON.stringify(document, null, 2));
    const redocly = path.join(__dirname, '..', 'node_modules', '.bin', 'redocly');
    const run = spawnSync(redocly, ['lint', '--extends=recommended', '--format=json', file], { encoding: 'utf8' });
    const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
      totals: { errors: number; warnings: number };
      problems: Array<{ ruleId: string; severity: string; message: string; location?: Array<{ pointer?: string }> }>;
    };
    for (const p of report.problems) {
      process.stdout.write(`${p.severity} ${p.ruleId}: ${p.message} (${p.location?.[0]?.pointer ?? ''})\n`);
    }
    const { errors, warnings } = report.totals;
    process.stdout.write(`openapi lint (@redocly/cli recommended): ${errors} errors, ${warnings} warnings\n`);
    process.exitCode = errors + warnings === 0 ? 0 : 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`lint:openapi failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
