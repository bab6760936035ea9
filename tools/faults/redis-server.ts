// A private redis-server on a free loopback port, so the suite can SHUTDOWN NOSAVE and FLUSHALL it
// without touching the machine's shared Redis (other engineers' tests use that one).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, sleep } from '../lib/stack';
import { trackChild } from '../bench/lib/cleanup';

const run = promisify(execFile);

export type PrivateRedis = Awaited<ReturnType<typeof startPrivateRedis>>;

export async function startPrivateRedis() {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const cli = (...args: string[]) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);

  async function start(): Promise<void> {
    child = trackChild(
      spawn(
        'redis-server',
        ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', '/tmp'],
        {
          stdio: 'ignore',
        },
      ),
      'redis-server',
    );
    for (let i = 0; i < 100; i++) {
      if (
        await cli('ping').then(
          (r) => r.stdout.trim() === 'PONG',
          () => false,
        )
      )
        return;
      await sleep(50);
    }
    throw new Error(`private redis-server on port ${port} did not start`);
  }

  /** SHUTDOWN NOSAVE: the server exits and every queued id is gone. */
  async function shutdownNosave(): Promise<void> {
    const running = child;
    if (!running) return;
    const exited = new Promise<void>((resolve) => {
      if (running.exitCode !== null) resolve();
      else running.once('exit', () => resolve());
    });
    await cli('shutdown', 'nosave').catch(() => undefined); // the connection drops as it exits
    await exited;
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    shutdownNosave,
    flushall: () => cli('flushall'),
    stop: async () => {
      if (child && child.exitCode === null && child.signalCode === null) await shutdownNosave();
    },
  };
}
