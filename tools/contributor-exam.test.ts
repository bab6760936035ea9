// docs/contributor-exam.md points at files and symbols; this keeps those pointers true.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');
const EXAM = path.join(ROOT, 'docs', 'contributor-exam.md');

interface Question {
  number: number;
  refs: string[];
}

/** The numbered questions and the `path#symbol` references of each one's **Where:** line. */
export function parseExam(text: string): Question[] {
  const questions: Question[] = [];
  for (const line of text.split('\n')) {
    const q = /^\*\*(\d+)\. /.exec(line);
    if (q) questions.push({ number: Number(q[1]), refs: [] });
    if (line.startsWith('**Where:**') && questions.length > 0) {
      questions[questions.length - 1].refs.push(...[...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]));
    }
  }
  return questions;
}

/** What is wrong with one reference (`file` or `file#symbol`), or undefined when it holds. */
export function checkRef(root: string, ref: string): string | undefined {
  const [file, symbol] = ref.split('#');
  const full = path.join(root, file);
  if (!fs.existsSync(full)) return `${file} does not exist`;
  if (symbol === undefined) return undefined;
  const escaped = symbol.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const text = fs.readFileSync(full, 'utf8');
  return new RegExp(`(^|[^\\w$])${escaped}($|[^\\w$])`).test(text) ? undefined : `${file} does not mention ${symbol}`;
}

describe('docs/contributor-exam.md', () => {
  const questions = parseExam(fs.readFileSync(EXAM, 'utf8'));

  it('has questions 1 to 20, each with a Where line', () => {
    expect(questions.map((q) => q.number)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(questions.filter((q) => q.refs.length === 0).map((q) => q.number)).toEqual([]);
  });

  it('names only files and symbols that exist', () => {
    const broken = questions.flatMap((q) =>
      q.refs
        .map((ref) => checkRef(ROOT, ref))
        .filter(Boolean)
        .map((e) => `question ${q.number}: ${e}`),
    );
    expect(broken).toEqual([]);
  });

  it('catches a moved file and a renamed symbol', () => {
    expect(checkRef(ROOT, 'packages/core/src/jobs/no-such-file.ts')).toMatch(/does not exist/);
    expect(checkRef(ROOT, 'packages/core/src/jobs/job.repository.ts#claimEverything')).toMatch(
      /does not mention claimEverything/,
    );
    // A symbol must stand alone: `clai` is not found inside `claim`.
    expect(checkRef(ROOT, 'packages/core/src/jobs/job.repository.ts#clai')).toMatch(/does not mention clai/);
  });
});
