'use strict';
// A private redis-server on a free loopback port, so the suite can SHUTDOWN NOSAVE and FLUSHALL it
// without touching the machine's shared Redis (other engineers' tests use that one).
const { spawn, execFile } = require('node:child_process');
const { promisify } = require('node:util');
const { freePort, sleep } = require('../lib/stack');
const { trackChild } = require('../bench/lib/cleanup');

const run = promisify(execFile);

async function startPrivateRedis() {
  const port = await freePort();
  let child;
  const cli = (...args) => run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);

  async function start() {
    child = trackChild(
      spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', '/tmp'], {
        stdio: 'ignore',
      }),
      'redis-server',
    );
    for (let i = 0; i < 100; i++) {
      if (await cli('ping').then((r) => r.stdout.trim() === 'PONG', () => false)) return;
      await sleep(50);
    }
    throw new Error(`private redis-server on port ${port} did not start`);
  }

  /** SHUTDOWN NOSAVE: the server exits and every queued id is gone. */
  async function shutdownNosave() {
    const exited = new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
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
      if (child.exitCode === null && child.signalCode === null) await shutdownNosave();
    },
  };
}

module.exports = { startPrivateRedis };
