/**
 * `pnpm test:fuzz`: a seeded corpus of hostile and merely unusual MP4s (tools/fuzz/recipes.ts),
 * each run as a job through the real JobWorker and pipeline (tools/fuzz/worker-child.ts) with a
 * time bound, and classified: completed, failed with a message, slow (over the bound while frames
 * were still coming), hung (over the bound with no frame for 5 s, or stopped by the stall watchdog) or crashed (the worker died, or the attempt threw something other than a
 * bad-video error). Exits 1 when any file hung or crashed, or a recipe could not be built.
 *
 * Options: --count 200  --seed 1  --bound-ms 60000  --only kind,kind  --index N (one file)
 *          --pipeline yolo|ocr|yolo_ocr (default: yolo, ocr, yolo_ocr in turn)  --json FILE
 *          --keep DIR (keep the corpus there)  --list (recipe kinds)
 *          --build-only (make the corpus and print each file's sha256, run nothing: checks that a
 *          seed repeats byte for byte)
 * Needs `pnpm build` and the model (`pnpm models:fetch`). FUZZ_VERBOSE=1 shows the worker's log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCorpusFile, type CorpusFile } from './corpus';
import { KINDS, RECIPES } from './recipes';
import { WorkerHost, type RunOutcome, type Verdict } from './runner';

const PIPELINES = ['yolo', 'ocr', 'yolo_ocr'];
const VERDICTS: Verdict[] = ['completed', 'failed', 'slow', 'hung', 'crashed'];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

function intArg(name: string, def: number): number {
  const raw = arg(name);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${raw}`);
  return n;
}

interface FileReport extends Partial<CorpusFile>, RunOutcome {
  index: number;
  pipeline: string;
}

async function main(): Promise<number> {
  if (process.argv.includes('--list')) {
    for (const r of RECIPES) console.log(`${r.kind.padEnd(22)} ${r.nature}`);
    return 0;
  }
  const seed = intArg('seed', 1);
  const count = intArg('count', 200);
  const boundMs = intArg('bound-ms', 60_000);
  const only = arg('only')?.split(',').filter(Boolean);
  const pipelineArg = arg('pipeline');
  const jsonFile = arg('json');
  const keep = arg('keep');
  const buildOnly = process.argv.includes('--build-only');
  const single = arg('index') === undefined ? undefined : intArg('index', 0);
  for (const k of only ?? []) if (!KINDS.includes(k)) throw new Error(`unknown kind ${k}; known: ${KINDS.join(', ')}`);
  if (pipelineArg && !PIPELINES.includes(pipelineArg))
    throw new Error(`--pipeline must be one of ${PIPELINES.join(', ')}`);

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'video-jobs-fuzz-'));
  const corpusDir = keep ? path.resolve(keep) : path.join(scratch, 'corpus');
  fs.mkdirSync(corpusDir, { recursive: true });
  const host = new WorkerHost(scratch, { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' });
  const cleanup = () => {
    host.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

  const started = Date.now();
  const indexes = single === undefined ? Array.from({ length: count }, (_, i) => i) : [single];
  console.log(
    `fuzz: ${indexes.length} files, seed ${seed}, bound ${boundMs / 1000} s per file, corpus in ${corpusDir}`,
  );
  const reports: FileReport[] = [];
  for (const index of indexes) {
    const pipeline = pipelineArg ?? PIPELINES[index % PIPELINES.length];
    let built: CorpusFile;
    try {
      built = await buildCorpusFile(seed, index, corpusDir, only);
    } catch (err) {
      // A recipe the local ffmpeg cannot make is a fault of this tool, reported as such.
      const detail = `recipe could not be built: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      reports.push({ index, pipeline, verdict: 'crashed', detail, frames: 0, ms: 0, kind: '?' });
      console.log(`#${index} ${detail}`);
      continue;
    }
    if (buildOnly) {
      console.log(
        `#${String(index).padEnd(4)} ${built.kind.padEnd(20)} ${built.sha256.slice(0, 16)} ${String(built.bytes).padStart(9)} B  [${built.desc}]`,
      );
      continue;
    }
    const outcome = await host.run(
      { file: built.file, pipelineId: pipeline, frameStride: 1, maxFrames: null },
      boundMs,
    );
    const report: FileReport = { ...built, pipeline, ...outcome };
    reports.push(report);
    console.log(
      `#${String(index).padEnd(4)} ${built.kind.padEnd(20)} ${pipeline.padEnd(8)} ${outcome.verdict.padEnd(9)} ` +
        `${(outcome.ms / 1000).toFixed(1).padStart(5)} s  ${outcome.detail.slice(0, 140)}   [${built.desc}]`,
    );
    if (!keep) fs.rmSync(built.file, { force: true });
  }
  host.close();
  if (buildOnly) return reports.length === 0 ? 0 : 1;

  const counts = Object.fromEntries(VERDICTS.map((v) => [v, reports.filter((r) => r.verdict === v).length])) as Record<
    Verdict,
    number
  >;
  printSummary(reports, counts, Date.now() - started, host.startups);
  const bad = counts.hung + counts.crashed;
  if (jsonFile) {
    fs.mkdirSync(path.dirname(path.resolve(jsonFile)), { recursive: true });
    fs.writeFileSync(
      jsonFile,
      `${JSON.stringify(
        {
          seed,
          count: reports.length,
          boundMs,
          seconds: Math.round((Date.now() - started) / 1000),
          counts,
          // For .ci/run's count helper: a file passes unless it hung or crashed (a slow file was still
          // producing frames when its bound ran out: busy, not wedged).
          passed: counts.completed + counts.failed + counts.slow,
          failed: bad,
          files: reports,
        },
        null,
        2,
      )}\n`,
    );
  }
  return bad === 0 ? 0 : 1;
}

function printSummary(reports: FileReport[], counts: Record<Verdict, number>, ms: number, startups: number[]): void {
  const kinds = [...new Set(reports.map((r) => r.kind ?? '?'))];
  console.log('\nkind                   files  completed  failed  slow  hung  crashed');
  for (const kind of kinds) {
    const of = reports.filter((r) => r.kind === kind);
    const n = (v: Verdict) => String(of.filter((r) => r.verdict === v).length).padStart(v.length + 2);
    console.log(
      `${kind.padEnd(22)} ${String(of.length).padStart(5)}${n('completed')}${n('failed')}${n('slow')}${n('hung')}${n('crashed')}`,
    );
  }
  const messages = new Map<string, number>();
  for (const r of reports.filter((r) => r.verdict === 'failed')) {
    // Group messages that differ only in numbers (sizes, offsets, seconds).
    const key = r.detail.replace(/\d+(\.\d+)?/g, 'N').slice(0, 160);
    messages.set(key, (messages.get(key) ?? 0) + 1);
  }
  console.log('\nfailure messages (numbers folded):');
  for (const [m, n] of [...messages].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(5)}  ${m}`);
  for (const r of reports.filter((r) => r.verdict === 'slow' || r.verdict === 'hung' || r.verdict === 'crashed')) {
    console.log(`${r.verdict.toUpperCase()}  #${r.index} ${r.kind} ${r.pipeline}: ${r.detail}  [${r.desc ?? ''}]`);
  }
  const maxRss = Math.max(0, ...reports.map((r) => r.rssMb ?? 0));
  console.log(
    `\nfuzz: ${reports.length} files in ${Math.round(ms / 1000)} s (${startups.length} worker starts, ` +
      `peak worker RSS ${maxRss} MB): ${counts.completed} completed, ${counts.failed} failed with a message, ` +
      `${counts.slow} slow (over the bound, still producing frames), ${counts.hung} hung, ${counts.crashed} crashed`,
  );
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
