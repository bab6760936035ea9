'use strict';
// Starts one of the baseline apps as a tracked child process and waits until it listens.
const { spawn } = require('node:child_process');
const readline = require('node:readline');
const { trackChild } = require('./cleanup');

function startChildApp(script, args = [], env = {}) {
  const child = trackChild(
    spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] }),
    script,
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 20_000);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const { port } = JSON.parse(line);
        clearTimeout(timer);
        resolve({ child, pid: child.pid, baseUrl: `http://127.0.0.1:${port}` });
      } catch {
        // not the listening line
      }
    });
  });
}

module.exports = { startChildApp };
