// Starts one of the baseline apps as a tracked child process and waits until it listens.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { tsxArgs } from '../../lib/tsx';
import { trackChild } from './cleanup';

export interface ChildApp {
  child: ChildProcess;
  pid: number | undefined;
  baseUrl: string;
}

/** Runs a TypeScript baseline app (under tsx) and resolves once it prints the port it listens on. */
export function startChildApp(
  script: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<ChildApp> {
  const child = trackChild(
    spawn(process.execPath, tsxArgs(script, ...args), {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
    script,
  );
  return new Promise<ChildApp>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 20_000);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const { port } = JSON.parse(line) as { port: number };
        clearTimeout(timer);
        resolve({ child, pid: child.pid, baseUrl: `http://127.0.0.1:${port}` });
      } catch {
        // not the listening line
      }
    });
  });
}
