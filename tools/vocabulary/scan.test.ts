import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { tsxArgs } from '../lib/tsx';
import { REPO_ROOT, loadVocabulary, scan } from './scan';

const COMMAND = path.join(REPO_ROOT, 'tools', 'validate-vocabulary.ts');
const vocab = loadVocabulary();

function run(...args: string[]) {
  const r = spawnSync(process.execPath, tsxArgs(COMMAND, ...args), { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tree(files: Record<string, string>) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vocab-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.join(root, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));
const make = (files: Record<string, string>) => {
  const root = tree(files);
  roots.push(root);
  return root;
};

const CLEAN = {
  'apps/api/src/routes/status.route.ts':
    '// progress is coarse: 0.0 pending, 0.5 running, 1.0 done\nexport const progress = { pending: 0, running: 0.5 };\n',
  'packages/core/src/storage/s3.storage.ts':
    '// the upload streams into storage as it arrives (streaming, never buffered)\nconst signal: AbortSignal = ac.signal;\n',
};

describe('validate-vocabulary', () => {
  it('exits 0 and prints nothing on stdout for a clean tree', () => {
    const r = run('--root', make(CLEAN));
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('exits 1 with file:line:term for a planted term', () => {
    const root = make({
      ...CLEAN,
      'apps/api/src/routes/live.route.ts':
        "import x from 'y';\n\nres.setHeader('Content-Type', 'text/event-stream');\n",
      'packages/core/src/jobs/job.table.ts': 'export interface JobTable {\n  priority: number;\n}\n',
    });
    const r = run('--root', root);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      'apps/api/src/routes/live.route.ts:3:server-sent-events',
      'packages/core/src/jobs/job.table.ts:2:job-priorities',
    ]);
    expect(r.stderr).toMatch(/server-sent-events: no push channel/);
  });

  it('flags folders and files named after a project phase', () => {
    const root = make({
      ...CLEAN,
      'packages/core/src/phase2/queue.ts': 'export {};\n',
      'apps/worker/src/mvp-loop.ts': '',
    });
    const r = run('--root', root);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('packages/core/src/phase2/:name:phase-name:phase\n');
    expect(r.stdout).toContain('apps/worker/src/mvp-loop.ts:name:phase-name:mvp\n');
  });

  it('skips node_modules, dist, files outside apps/ and packages/, and other file types', () => {
    const root = make({
      ...CLEAN,
      'packages/client/node_modules/p-priority-queue/index.js': 'module.exports = { priority: 1 };\n',
      'packages/client/dist/index.js': 'new WebSocket(url);\n',
      'packages/client/package.json': '{ "dependencies": { "websocket-thing": "1" } }\n',
      'packages/client/logo.png': 'WebSocket',
      'tools/bench/throughput.ts': '// not functional code: new WebSocket()\n',
    });
    expect(run('--root', root).code).toBe(0);
  });

  it('honours a reviewed exception in the allow list, and only for that file, term and line text', () => {
    const root = make({
      ...CLEAN,
      'apps/api/test/no-push.test.ts': "expect(type).not.toBe('text/event-stream');\n",
      'apps/api/src/push.ts': "const t = 'text/event-stream';\n",
    });
    const custom = path.join(root, 'vocab.yaml');
    const text = fs
      .readFileSync(vocab.file, 'utf8')
      .replace(
        /^allow:\n/m,
        'allow:\n  - { path: apps/api/test/no-push.test.ts, term: server-sent-events, contains: not.toBe, reason: asserts the header is absent }\n',
      );
    expect(text).toContain('no-push.test.ts');
    fs.writeFileSync(custom, text);
    fs.appendFileSync(path.join(root, 'apps/api/test/no-push.test.ts'), "res.type('text/event-stream');\n");
    const r = run('--root', root, '--vocabulary', custom);
    expect(r.stdout).toBe(
      'apps/api/src/push.ts:1:server-sent-events\napps/api/test/no-push.test.ts:2:server-sent-events\n',
    );
    expect(r.code).toBe(1);
  });

  it("scans the web console's source: its TypeScript and its HTML page", () => {
    const root = make({
      'apps/console/src/job.view.ts': "const feed = new EventSource('/video/status');\n",
      'apps/console/src/index.html': '<p>live updates</p>\n',
      'apps/console/dist/app.js': "new EventSource('/x')\n",
    });
    expect(scan(root, vocab).map((h) => `${h.file}:${'line' in h ? h.line : ''}:${h.term}`)).toEqual([
      'apps/console/src/index.html:1:real-time-streaming',
      'apps/console/src/job.view.ts:1:server-sent-events',
    ]);
    // The real console source is among what the repository run scans (and it passes).
    expect(fs.existsSync(path.join(REPO_ROOT, 'apps', 'console', 'src', 'main.ts'))).toBe(true);
  });

  it('exits 2 on a usage error', () => {
    expect(run('--nope').code).toBe(2);
  });

  it("passes on this repository's apps/ and packages/", () => {
    const r = run();
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('forbidden-vocabulary.yaml', () => {
  const termsOf = (line: string) => {
    const root = make({ 'packages/x/src/a.ts': `${line}\n` });
    return scan(root, vocab).map((h) => h.term);
  };

  it.each([
    ['const ws = new WebSocket(url);', 'websockets'],
    ["import { Server } from 'socket.io';", 'websockets'],
    ["import WebSocket from 'ws';", 'websockets'],
    ['const es = new EventSource("/video/events");', 'server-sent-events'],
    ['// Server-Sent Events for job updates', 'server-sent-events'],
    ['function realtimeStream() {}', 'real-time-streaming'],
    ['// real-time streaming of detections', 'real-time-streaming'],
    ['res.json({ frameProgress: i / n });', 'frame-level-progress'],
    ['// per-frame progress', 'frame-level-progress'],
    ['const scheduleOnGpu = () => 0;', 'gpu-scheduling'],
    ['process.env.CUDA_VISIBLE_DEVICES', 'gpu-scheduling'],
    ['await leaderElection.run();', 'multi-machine-coordination'],
    ["import Redlock from 'redlock';", 'distributed-locks'],
    ['// take a distributed lock on the job', 'distributed-locks'],
    ['const dag = buildDag(pipelines);', 'dag-orchestration'],
    ['class MultiPipelineRunner {}', 'dag-orchestration'],
    ["query('priority')", 'job-priorities'],
    ['enqueue(id, { priority: 1 })', 'job-priorities'],
    ['const jobPriority = 3;', 'job-priorities'],
    ['dependsOn: [otherJobId]', 'job-dependencies'],
    ['parent_job_id uuid', 'job-dependencies'],
    ['onCompleteEnqueue(next)', 'chaining'],
    ['// job chaining', 'chaining'],
    ["router.post('/video/batch', h)", 'batch-submission'],
    ['function submitBatch(files) {}', 'batch-submission'],
    ["router.post('/video/cancel/:id', h)", 'cancellation'],
    ["status: 'cancelled'", 'cancellation'],
    ['async cancelJob(id) {}', 'cancellation'],
  ])('catches %j as %s', (line, term) => {
    expect(termsOf(line)).toContain(term);
  });

  it.each([
    '// the upload streams into object storage as it arrives (streaming upload)',
    'const body = Readable.from(stream);',
    'const ac = new AbortController(); run(file, { signal: ac.signal });',
    "if (signal.aborted) throw new Error('aborted');",
    '// progress is coarse, never per frame: 0.0, 0.5, 1.0',
    'progress: 0.5,',
    'os.setPriority(child.pid, 10); // run ffmpeg nicely',
    '// this depends on the config being loaded',
    '// workers share one Postgres; a claim is one conditional UPDATE',
    'locked_by text, -- the worker holding the lease',
    'const batchSize = 1; // tensor [1, 3, 416, 416]',
    "const chain = db.selectFrom('jobs').where('status', '=', 'pending');",
    '// the client cancelled the request mid-upload: remove the partial object',
    'clearTimeout(this.timer); // stop the reaper',
    "const EVENT = 'finish';",
    "app.get('/readyz', ready);",
    'const timestamp_ms = Math.round(t);',
    '// take the next job from the queue',
  ])('does not flag %j', (line) => {
    expect(termsOf(line)).toEqual([]);
  });

  it.each([
    ['phase1', 'phase'],
    ['phase-2', 'phase'],
    ['stage3.ts', 'stage'],
    ['sprint-4', 'sprint'],
    ['mvp', 'mvp'],
    ['v2-rewrite', 'rewrite'],
    ['poc_worker.ts', 'poc'],
  ])('flags the name %j as %s', (name, phase) => {
    const root = make({ [`packages/x/src/${name}/a.ts`]: '' });
    expect(scan(root, vocab).map((h) => h.term)).toContain(`phase-name:${phase}`);
  });

  it.each([
    'job-worker.ts',
    'pipeline',
    'frame-source.ts',
    'staging.ts',
    'phases.ts',
    'stepper.ts',
    'pocket.ts',
    'rewriter-free.ts',
  ])('accepts the name %j', (name) => {
    const root = make({ [`packages/x/src/${name}/a.ts`]: '' });
    expect(scan(root, vocab)).toEqual([]);
  });
});
