'use strict';
/**
 * The vocabulary validator's logic (DESIGN §10): load tools/forbidden-vocabulary.yaml, walk the
 * functional code, report forbidden terms by file:line and files or folders named after a phase.
 * tools/validate-vocabulary is the command; this module is what its tests drive.
 */
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');

const REPO_ROOT = path.join(__dirname, '..', '..');
const DEFAULT_VOCABULARY = path.join(REPO_ROOT, 'tools', 'forbidden-vocabulary.yaml');

/** Reads and checks the vocabulary file; a pattern that is not a valid regex stops the run. */
function loadVocabulary(file = DEFAULT_VOCABULARY) {
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) || {};
  const need = (cond, what) => {
    if (!cond) throw new Error(`${file}: ${what}`);
  };
  need(Array.isArray(doc.roots) && doc.roots.length > 0, '`roots` must be a non-empty list');
  need(Array.isArray(doc.terms) && doc.terms.length > 0, '`terms` must be a non-empty list');
  const compile = (source, where) => {
    try {
      return new RegExp(source, 'i');
    } catch (err) {
      throw new Error(`${file}: ${where}: bad pattern ${JSON.stringify(source)}: ${err.message}`);
    }
  };
  const terms = doc.terms.map((t, i) => {
    need(t && typeof t.term === 'string', `terms[${i}] needs a \`term\``);
    need(typeof t.reason === 'string' && t.reason.trim(), `term ${t.term} needs a \`reason\``);
    need(Array.isArray(t.patterns) && t.patterns.length > 0, `term ${t.term} needs \`patterns\``);
    return { term: t.term, reason: t.reason, patterns: t.patterns.map((p) => compile(p, `term ${t.term}`)) };
  });
  const phaseNames = (doc.phase_names || []).map((p, i) => {
    need(p && typeof p.name === 'string' && typeof p.pattern === 'string', `phase_names[${i}] needs name and pattern`);
    return { name: p.name, pattern: compile(p.pattern, `phase name ${p.name}`) };
  });
  const allow = (doc.allow || []).map((a, i) => {
    need(a && a.path && a.term && a.reason, `allow[${i}] needs path, term and reason`);
    return { path: String(a.path), term: String(a.term), contains: a.contains === undefined ? undefined : String(a.contains) };
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
function* walk(dir, skipDirs) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT') return;
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

function phaseNameOf(name, vocab) {
  const found = vocab.phaseNames.find((p) => p.pattern.test(name));
  return found ? found.name : undefined;
}

function termsOnLine(line, vocab) {
  return vocab.terms.filter((t) => t.patterns.some((p) => p.test(line)));
}

/**
 * Scans `root`'s vocabulary roots. Returns hits in walk order:
 * `{ kind: 'term', file, line, term }` or `{ kind: 'name', file, term, dir }` (file relative to root,
 * with forward slashes so the output reads the same on every system).
 */
function scan(root, vocab = loadVocabulary()) {
  const hits = [];
  const rel = (full) => path.relative(root, full).split(path.sep).join('/');
  const allowed = (file, term, text) =>
    vocab.allow.some(
      (a) => a.term === term && file.endsWith(a.path) && (a.contains === undefined || (text || '').includes(a.contains)),
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
function formatHit(hit) {
  if (hit.kind === 'name') return `${hit.file}${hit.dir ? '/' : ''}:name:${hit.term}`;
  return `${hit.file}:${hit.line}:${hit.term}`;
}

function parseArgs(argv) {
  const opts = { root: REPO_ROOT, vocabulary: DEFAULT_VOCABULARY };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if ((a === '--root' || a === '--vocabulary') && argv[i + 1]) opts[a.slice(2)] = argv[++i];
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown argument: ${a}`);
  }
  return opts;
}

const USAGE = `usage: validate-vocabulary [--root DIR] [--vocabulary FILE]
Scans DIR's functional code (default: this repository) for the terms forbidden by DESIGN §10.
Prints file:line:term per hit on stdout; exits 1 on any hit, 0 when clean, 2 on a usage error.`;

/** The command: returns the exit code instead of exiting, so tests can call it in-process too. */
function main(argv = process.argv.slice(2), out = process.stdout, err = process.stderr) {
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
    err.write(`validate-vocabulary: ${e.message}\n${USAGE}\n`);
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

module.exports = { REPO_ROOT, DEFAULT_VOCABULARY, loadVocabulary, scan, formatHit, main };
