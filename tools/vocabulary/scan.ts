/**
 * The vocabulary validator's logic (DESIGN §10): load tools/forbidden-vocabulary.yaml, walk the
 * functional code, report forbidden terms by file:line and files or folders named after a phase.
 * tools/validate-vocabulary.ts is the command; this module is what its tests drive.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export const REPO_ROOT = path.join(__dirname, '..', '..');
export const DEFAULT_VOCABULARY = path.join(REPO_ROOT, 'tools', 'forbidden-vocabulary.yaml');

/** Reads and checks the vocabulary file; a pattern that is not a valid regex stops the run. */
/** tools/forbidden-vocabulary.yaml as written (checked by loadVocabulary before use). */
interface VocabularyFile {
  roots?: unknown[];
  extensions?: unknown[];
  skip_dirs?: unknown[];
  terms?: ({ term?: unknown; reason?: unknown; patterns?: unknown[] } | null)[];
  phase_names?: ({ name?: unknown; pattern?: unknown } | null)[];
  allow?: ({ path?: unknown; term?: unknown; contains?: unknown; reason?: unknown } | null)[];
}

export interface Vocabulary {
  file: string;
  roots: string[];
  extensions: string[];
  skipDirs: Set<string>;
  terms: { term: string; reason: string; patterns: RegExp[] }[];
  phaseNames: { name: string; pattern: RegExp }[];
  allow: { path: string; term: string; contains: string | undefined }[];
}

export type Hit =
  | { kind: 'term'; file: string; line: number; term: string }
  | { kind: 'name'; file: string; term: string; dir: boolean };

export function loadVocabulary(file = DEFAULT_VOCABULARY): Vocabulary {
  const doc = (YAML.parse(fs.readFileSync(file, 'utf8')) || {}) as VocabularyFile;
  const need: (cond: unknown, what: string) => asserts cond = (cond, what) => {
    if (!cond) throw new Error(`${file}: ${what}`);
  };
  need(Array.isArray(doc.roots) && doc.roots.length > 0, '`roots` must be a non-empty list');
  need(Array.isArray(doc.terms) && doc.terms.length > 0, '`terms` must be a non-empty list');
  const compile = (source: unknown, where: string) => {
    try {
      return new RegExp(String(source), 'i');
    } catch (err) {
      throw new Error(`${file}: ${where}: bad pattern ${JSON.stringify(source)}: ${(err as Error).message}`);
    }
  };
  const terms = doc.terms.map((t, i) => {
    need(t && typeof t.term === 'string', `terms[${i}] needs a \`term\``);
    const term = String(t.term);
    need(typeof t.reason === 'string' && t.reason.trim(), `term ${term} needs a \`reason\``);
    need(Array.isArray(t.patterns) && t.patterns.length > 0, `term ${term} needs \`patterns\``);
    return { term, reason: String(t.reason), patterns: t.patterns.map((p) => compile(p, `term ${term}`)) };
  });
  const phaseNames = (doc.phase_names || []).map((p, i) => {
    need(p && typeof p.name === 'string' && typeof p.pattern === 'string', `phase_names[${i}] needs name and pattern`);
    return { name: String(p.name), pattern: compile(p.pattern, `phase name ${String(p.name)}`) };
  });
  const allow = (doc.allow || []).map((a, i) => {
    need(
      a && typeof a.path === 'string' && typeof a.term === 'string' && a.reason,
      `allow[${i}] needs path, term and reason`,
    );
    return {
      path: a.path,
      term: a.term,
      contains:
        a.contains === undefined ? undefined : typeof a.contains === 'string' ? a.contains : JSON.stringify(a.contains),
    };
  });
  return {
    file: path.resolve(file),
    roots: doc.roots.map(String),
    extensions: (doc.extensions || ['.ts', '.js']).map((e) => String(e).toLowerCase()),
    skipDirs: new Set((doc.skip_dirs || ['node_modules', 'dist']).map(String)),
    terms,
    phaseNames,
    allow,
  };
}

/** Yields every path under dir (folders before their contents), in a stable order. */
function* walk(dir: string, skipDirs: Set<string>): Generator<{ full: string; dir: boolean }> {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (skipDirs.has(e.name)) continue;
      yield { full, dir: true };
      yield* walk(full, skipDirs);
    } else if (e.isFile()) {
      yield { full, dir: false };
    }
  }
}

function phaseNameOf(name: string, vocab: Vocabulary): string | undefined {
  const found = vocab.phaseNames.find((p) => p.pattern.test(name));
  return found ? found.name : undefined;
}

function termsOnLine(line: string, vocab: Vocabulary): Vocabulary['terms'] {
  return vocab.terms.filter((t) => t.patterns.some((p) => p.test(line)));
}

/**
 * Scans `root`'s vocabulary roots. Returns hits in walk order:
 * `{ kind: 'term', file, line, term }` or `{ kind: 'name', file, term, dir }` (file relative to root,
 * with forward slashes so the output reads the same on every system).
 */
export function scan(root: string, vocab: Vocabulary = loadVocabulary()): Hit[] {
  const hits: Hit[] = [];
  const rel = (full: string) => path.relative(root, full).split(path.sep).join('/');
  const allowed = (file: string, term: string, text?: string) =>
    vocab.allow.some(
      (a) =>
        a.term === term && file.endsWith(a.path) && (a.contains === undefined || (text || '').includes(a.contains)),
    );
  for (const r of vocab.roots) {
    for (const entry of walk(path.join(root, r), vocab.skipDirs)) {
      const file = rel(entry.full);
      const phase = phaseNameOf(path.basename(entry.full), vocab);
      if (phase && !allowed(file, `phase-name:${phase}`)) {
        hits.push({ kind: 'name', file, term: `phase-name:${phase}`, dir: entry.dir });
      }
      if (entry.dir || path.resolve(entry.full) === vocab.file) continue;
      if (!vocab.extensions.some((ext) => entry.full.toLowerCase().endsWith(ext))) continue;
      const lines = fs.readFileSync(entry.full, 'utf8').split(/\r?\n/);
      lines.forEach((text, i) => {
        for (const t of termsOnLine(text, vocab)) {
          if (!allowed(file, t.term, text)) hits.push({ kind: 'term', file, line: i + 1, term: t.term });
        }
      });
    }
  }
  return hits;
}

/** `file:line:term` for a term; `path/:name:phase-name:<name>` for a phase-named file or folder. */
export function formatHit(hit: Hit): string {
  if (hit.kind === 'name') return `${hit.file}${hit.dir ? '/' : ''}:name:${hit.term}`;
  return `${hit.file}:${hit.line}:${hit.term}`;
}

function parseArgs(argv: string[]): { root: string; vocabulary: string; help?: boolean } {
  const opts: { root: string; vocabulary: string; help?: boolean } = {
    root: REPO_ROOT,
    vocabulary: DEFAULT_VOCABULARY,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--root' && argv[i + 1]) opts.root = argv[++i];
    else if (a === '--vocabulary' && argv[i + 1]) opts.vocabulary = argv[++i];
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown argument: ${a}`);
  }
  return opts;
}

const USAGE = `usage: validate-vocabulary [--root DIR] [--vocabulary FILE]
Scans DIR's functional code (default: this repository) for the terms forbidden by DESIGN §10.
Prints file:line:term per hit on stdout; exits 1 on any hit, 0 when clean, 2 on a usage error.`;

/** The command: returns the exit code instead of exiting, so tests can call it in-process too. */
export function main(
  argv: string[] = process.argv.slice(2),
  out: { write(s: string): unknown } = process.stdout,
  err: { write(s: string): unknown } = process.stderr,
): number {
  let opts;
  let vocab;
  try {
    opts = parseArgs(argv);
    if (opts.help) {
      out.write(`${USAGE}\n`);
      return 0;
    }
    vocab = loadVocabulary(opts.vocabulary);
  } catch (e) {
    err.write(`validate-vocabulary: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const root = path.resolve(opts.root);
  const hits = scan(root, vocab);
  for (const hit of hits) out.write(`${formatHit(hit)}\n`);
  if (hits.length === 0) {
    err.write(`validate-vocabulary: clean (${vocab.roots.join(', ')} under ${root})\n`);
    return 0;
  }
  const reasons = new Map(vocab.terms.map((t) => [t.term, t.reason]));
  const seen = [...new Set(hits.map((h) => h.term))];
  err.write(`validate-vocabulary: ${hits.length} hit(s); forbidden by DESIGN §10 (docs/governance-rules.md):\n`);
  for (const term of seen) {
    const reason = reasons.get(term) || 'functional code is named after what it does, not after a project phase';
    err.write(`  ${term}: ${reason}\n`);
  }
  return 1;
}
