// The split deployment as child processes on loopback, for system tests, fault tests and benchmarks:
// a fresh Postgres database, a unique Redis key prefix, s3rver (or local files), `node apps/api` and
// any number of `node apps/worker`, all from the built packages. Everything it starts, it stops.
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import type { JobRow } from '@video-jobs/core';
import Redis from 'ioredis';
import pg from 'pg';

const root = path.resolve(__dirname, '..', '..');

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** A row of the jobs table (SELECT *), typed by core's table interface. */
export type { JobRow };

/** A child process of the stack, with the last 2000 lines it wrote. */
export interface StackProcess {
  name: string;
  id?: string;
  proc: ChildProcess & { stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream };
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  env: NodeJS.ProcessEnv;
}

export type Env = Record<string, string | undefined>;

/** GET /video/results as the tools and system tests read it (which keys a frame has depends on the pipeline). */
export interface ResultsBody {
  results: {
    frame_index: number;
    result: { timestamp_ms?: number; detections?: { label: string; track_id?: number }[]; text?: { text: string }[] };
  }[];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function createDatabase() {
  const name = `vj_stack_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function startS3rver(dir: string) {
  const bucket = `stack-${randomBytes(4).toString('hex')}`;
  const child = fork(path.join(root, 'packages', 'core', 'src', 'test-support', 's3rver.process.js'), [dir, bucket], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('s3rver did not start')), 15_000);
    child.once('message', (m: { port?: number; error?: string }) => {
      clearTimeout(timer);
      if (m.port) resolve(m.port);
      else reject(new Error(m.error));
    });
  });
  return {
    env: {
      STORAGE: 's3',
      S3_BUCKET: bucket,
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
    /** Object keys under the prefix, read from s3rver's directory. */
    list(prefix: string): string[] {
      const base = path.join(dir, bucket);
      if (!fs.existsSync(base)) return [];
      return fs
        .readdirSync(base, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('._S3rver_object'))
        .map((f) => f.replace(/\._S3rver_object$/, ''))
        .filter((k) => k.startsWith(prefix));
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A child process with its output kept (and echoed when VJ_STACK_VERBOSE is set). */
function spawnApp(app: string, env: Env, name: string): StackProcess {
  const proc = spawn(process.execPath, [path.join(root, 'apps', app)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (buf: Buffer) => {
    for (const line of buf.toString().split('\n')) {
      if (!line) continue;
      lines.push(line);
      if (lines.length > 2000) lines.shift();
      if (process.env.VJ_STACK_VERBOSE) process.stderr.write(`[${name}] ${line}\n`);
    }
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { name, proc, lines, exited, env };
}

export interface StackOptions {
  storage?: 's3' | 'local';
  /** extra environment for every process */
  env?: Env;
  /** extra environment for workers only */
  workerEnv?: Env;
  /** a Redis of the caller's own (fault tests restart theirs); default TEST_REDIS_URL */
  redisUrl?: string;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

export async function startStack(options: StackOptions = {}) {
  const { storage = 's3', env: extraEnv = {}, workerEnv = {}, redisUrl = TEST_REDIS_URL } = options;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'video-jobs-stack-'));
  const db = await createDatabase();
  const s3 = storage === 's3' ? await startS3rver(path.join(tmp, 's3')) : undefined;
  const prefix = `vj-stack-${randomBytes(4).toString('hex')}:`;
  const port = await freePort();
  const baseEnv: Env & { DATA_DIR: string; DATABASE_URL: string } = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'info',
    // Tests and CI may run with less than the 1 GiB default free; /readyz must still answer 200 there.
    MIN_FREE_BYTES: String(1024 * 1024),
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    DATA_DIR: path.join(tmp, 'data'),
    STORAGE: 'local',
    ...(s3 ? s3.env : {}),
    ...extraEnv,
  };
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: null });
  const stack = {
    baseUrl: `http://127.0.0.1:${port}`,
    prefix,
    env: baseEnv,
    pool,
    redis,
    api: undefined as StackProcess | undefined,
    workers: [] as StackProcess[],
    nextWorker: 0,

    async startApi(env: Env = {}): Promise<StackProcess> {
      const api = spawnApp('api', { ...baseEnv, PORT: String(port), ...env }, 'api');
      this.api = api;
      await waitUntil(async () => (await fetch(`${this.baseUrl}/healthz`).catch(() => undefined))?.ok, 60_000, api);
      return api;
    },

    async startWorker(env: Env = {}): Promise<StackProcess> {
      const id = `worker-${this.nextWorker++}`;
      const w = spawnApp(
        'worker',
        { ...baseEnv, WORKER_ID: id, METRICS_PORT: String(await freePort()), ...workerEnv, ...env },
        id,
      );
      w.id = id;
      this.workers.push(w);
      await waitUntil(async () => w.lines.some((l) => l.includes('worker started')), 60_000, w);
      return w;
    },

    async stopProcess(
      p: StackProcess,
      signal: NodeJS.Signals = 'SIGTERM',
    ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
      if (p.proc.exitCode !== null || p.proc.signalCode !== null) return p.exited;
      p.proc.kill(signal);
      return p.exited;
    },

    /** POST /video/submit; the status and JSON body whatever they are (a refusal is an answer too). */
    async submitAnswer(
      file: string,
      params: Record<string, string | number> = {},
      headers: Record<string, string> = {},
    ): Promise<{ status: number; body: Record<string, unknown> }> {
      const form = new FormData();
      form.set('file', await fs.openAsBlob(file, { type: 'video/mp4' }), path.basename(file));
      for (const [k, v] of Object.entries(params)) form.set(k, String(v));
      const res = await fetch(`${this.baseUrl}/video/submit`, { method: 'POST', body: form, headers });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },

    async submit(
      file: string,
      params: Record<string, string | number> = {},
      headers: Record<string, string> = {},
    ): Promise<string> {
      const { status, body } = await this.submitAnswer(file, params, headers);
      if (status !== 202) throw new Error(`submit answered ${status}: ${JSON.stringify(body)}`);
      return String(body.job_id);
    },

    /** Submits `n` jobs from `clients` concurrent clients; the ids in the order the 202s arrived. */
    async submitMany(
      file: string,
      params: Record<string, string | number>,
      n: number,
      clients: number,
    ): Promise<string[]> {
      const ids: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (next < n) {
            next++;
            ids.push(await this.submit(file, params));
          }
        }),
      );
      return ids;
    },

    async status(jobId: string): Promise<{ status: string; error_message?: string }> {
      return (await fetch(`${this.baseUrl}/video/status/${jobId}`)).json() as Promise<{
        status: string;
        error_message?: string;
      }>;
    },

    async results(jobId: string): Promise<ResultsBody> {
      return (await fetch(`${this.baseUrl}/video/results/${jobId}`)).json() as Promise<ResultsBody>;
    },

    /** Polls the database (not the API, which may be down) until every job is in a final state. */
    async waitForFinal(jobIds: string[], timeoutMs: number): Promise<JobRow[]> {
      let rows: JobRow[] = [];
      await waitUntil(async () => {
        rows = (
          await pool
            .query<JobRow>('SELECT * FROM jobs WHERE job_id = ANY($1)', [jobIds])
            .catch(() => ({ rows: [] as JobRow[] }))
        ).rows;
        return rows.length === jobIds.length && rows.every((r) => r.status === 'completed' || r.status === 'failed');
      }, timeoutMs);
      return rows;
    },

    async job(jobId: string): Promise<JobRow | undefined> {
      return (await pool.query<JobRow>('SELECT * FROM jobs WHERE job_id = $1', [jobId])).rows[0];
    },

    /** Object keys under a prefix in the stack's storage. */
    listObjects(prefix = 'video_jobs/'): string[] {
      if (s3) return s3.list(prefix);
      const dir = path.join(baseEnv.DATA_DIR, 'objects', prefix);
      return fs.existsSync(dir)
        ? fs
            .readdirSync(dir)
            .filter((f) => !isTempFileName(f))
            .map((f) => prefix + f)
        : [];
    },

    async stop() {
      const running = this.api ? [this.api, ...this.workers] : this.workers;
      await Promise.all(running.map((p) => this.stopProcess(p, 'SIGTERM')));
      await pool.end().catch(() => undefined);
      const keys = await redis.keys(`${prefix}*`).catch((): string[] => []);
      if (keys.length) await redis.del(...keys).catch(() => undefined);
      redis.disconnect();
      await s3?.stop();
      await db.drop().catch(() => undefined);
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  return stack;
}

/** LocalStorage writes to `.<name>.<hex>.partial` and renames; those (and `.tmp` files) are not objects. */
export const isTempFileName = (name: string): boolean => name.includes('.tmp') || name.endsWith('.partial');

export async function waitUntil(check: () => unknown, timeoutMs: number, proc?: StackProcess): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (proc && proc.proc.exitCode !== null) {
      throw new Error(`${proc.name} exited with ${proc.proc.exitCode}:\n${proc.lines.slice(-20).join('\n')}`);
    }
    if (Date.now() > until)
      throw new Error(
        `timed out after ${timeoutMs} ms${proc ? `; ${proc.name} said:\n${proc.lines.slice(-20).join('\n')}` : ''}`,
      );
    await sleep(100);
  }
}

export { root };
