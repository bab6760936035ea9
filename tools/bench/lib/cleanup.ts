// One place that knows everything a bench or fault script started, so it is all stopped however the
// script ends: normal return, a thrown error, its own deadline, or Ctrl-C / SIGTERM.
import type { ChildProcess } from 'node:child_process';

type Cleanup = () => unknown;
const cleanups: Cleanup[] = [];
let running: Promise<void> | undefined;

/** Registers an async clean-up step; steps run last-registered first, each even if another throws. */
export function onCleanup(fn: Cleanup): () => void {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Kills a child process at clean-up (SIGTERM, then SIGKILL if it lingers). */
export function trackChild<C extends ChildProcess>(child: C, name = 'child'): C & { benchName: string } {
  const remove = onCleanup(() => stopChild(child, 'SIGTERM', 5_000));
  child.once('exit', remove);
  return Object.assign(child, { benchName: name });
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export function runCleanups(): Promise<void> {
  running ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop() as Cleanup;
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`clean-up step failed: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  })();
  return running;
}

/**
 * Runs `fn` as the script's body under a hard deadline, then cleans up and exits with fn's code
 * (0 unless it returns a number or throws). Signals and the deadline also clean up before exiting.
 */
export function runScript(fn: () => Promise<number | void>, { maxSeconds }: { maxSeconds: number }): void {
  const finish = async (code: number, message?: string) => {
    if (message) process.stderr.write(`${message}\n`);
    await runCleanups();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void finish(130, `\n${signal}: stopping everything this script started`));
  }
  const deadline = setTimeout(
    () => void finish(2, `deadline of ${maxSeconds} s reached: stopping (raise it with --max-seconds)`),
    maxSeconds * 1000,
  );
  deadline.unref();
  Promise.resolve()
    .then(fn)
    .then(
      (code) => finish(typeof code === 'number' ? code : 0),
      (err: unknown) => finish(1, `failed: ${err instanceof Error ? err.stack : String(err)}`),
    );
}
