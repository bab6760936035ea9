// Runs one command and collects what it printed: the deploy tools drive docker, apt-get and
// mmdebstrap as child processes, each bounded in time and registered for clean-up.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { trackChild } from '../../bench/lib/cleanup';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the command's standard input. */
  input?: string | Buffer;
  /** Killed (SIGTERM, then SIGKILL) after this long; the result then has code null. */
  timeoutMs?: number;
  /** Everything the command prints is appended here too (long builds: read the log on failure). */
  logFile?: string;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: RunResult,
  ) {
    const tail = `${result.stderr || result.stdout}`.trim().split('\n').slice(-15).join('\n');
    super(`${command} exited ${result.code ?? 'on its time-out'}${tail ? `:\n${tail}` : ''}`);
    this.name = this.constructor.name;
  }
}

/** Runs `cmd args`; resolves whatever its exit code (see `mustRun`). */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const log = options.logFile ? fs.openSync(options.logFile, 'a') : undefined;
  if (log !== undefined) fs.writeSync(log, `\n$ ${cmd} ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = trackChild(
      spawn(cmd, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      }),
      cmd,
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      into.push(chunk);
      if (log !== undefined) fs.writeSync(log, chunk);
    };
    // Both are pipes (stdio above), never null.
    child.stdout?.on('data', collect(out));
    child.stderr?.on('data', collect(err));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
          }, options.timeoutMs);
    child.once('error', (e) => {
      if (timer) clearTimeout(timer);
      if (log !== undefined) fs.closeSync(log);
      reject(e);
    });
    child.once('close', (code) => {
      if (timer) clearTimeout(timer);
      if (log !== undefined) fs.closeSync(log);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Date.now() - started,
      });
    });
    if (child.stdin) {
      // A command that exits before reading its input closes the pipe: not an error of ours.
      child.stdin.on('error', () => {});
      child.stdin.end(options.input);
    }
  });
}

/** Runs `cmd args` and throws a CommandError (with the last lines it printed) unless it exits 0. */
export async function mustRun(cmd: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(cmd, args, options);
  if (result.code !== 0) throw new CommandError(`${cmd} ${args.slice(0, 4).join(' ')}`, result);
  return result;
}

/** True when `cmd` is on PATH. */
export async function onPath(cmd: string): Promise<boolean> {
  return (await run('sh', ['-c', `command -v ${cmd}`])).code === 0;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
