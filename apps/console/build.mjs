// Bundles the console into dist/: app.js (the page), sw.js (the service worker that adds the API key
// to the <video> element's range requests), index.html and app.css copied as they are. Prints what a
// first load transfers, gzipped, so docs/console.md can quote a measured figure.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const src = path.join(here, 'src');
const out = path.join(here, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const common = {
  bundle: true,
  minify: true,
  sourcemap: false,
  target: ['chrome100', 'firefox100', 'safari15'],
  logLevel: 'warning',
};
await build({ ...common, entryPoints: [path.join(src, 'main.ts')], outfile: path.join(out, 'app.js'), format: 'esm' });
await build({ ...common, entryPoints: [path.join(src, 'sw.ts')], outfile: path.join(out, 'sw.js'), format: 'iife' });
for (const f of ['index.html', 'app.css']) copyFileSync(path.join(src, f), path.join(out, f));

const files = ['index.html', 'app.css', 'app.js', 'sw.js'];
let raw = 0;
let gz = 0;
for (const f of files) {
  const body = readFileSync(path.join(out, f));
  raw += body.length;
  gz += gzipSync(body, { level: 9 }).length;
}
console.log(`console: ${files.join(', ')}: ${(raw / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped`);
