'use strict';
// One place that knows everything a bench or fault script started, so it is all stopped however the
// script ends: normal return, a thrown error, its own deadline, or Ctrl-C / SIGTERM.
const cleanups = [];
let running;

/** Registers an async clean-up step; steps run last-registered first, each even if another throws. */
function onCleanup(fn) {
  cleanups.push(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Kills a child process at clean-up (SIGTERM, then SIGKILL if it lingers). */
function trackChild(child, name = 'child') {
  const remove = onCleanup(() => stopChild(child, 'SIGTERM', 5_000));
  child.once('exit', remove);
  child.benchName = name;
  return child;
}

function stopChild(child, signal = 'SIGTERM', graceMs = 5_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

function runCleanups() {
  running ??= (async () => {
    while (cleanups.length) {
      const fn = cleanups.pop();
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`clean-up step failed: ${err?.message ?? err}\n`);
      }
    }
  })();
  return running;
}

/**
 * Runs `fn` as the script's body under a hard deadline, then cleans up and exits with fn's code
 * (0 unless it returns a number or throws). Signals and the deadline also clean up before exiting.
 */
function runScript(fn, { maxSeconds }) {
  const finish = async (code, message) => {
    if (message) process.stderr.write(`${message}\n`);
    await runCleanups();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => finish(130, `\n${signal}: stopping everything this script started`));
  }
  const deadline = setTimeout(
    () => finish(2, `deadline of ${maxSeconds} s reached: stopping (raise it with --max-seconds)`),
    maxSeconds * 1000,
  );
  deadline.unref();
  Promise.resolve()
    .then(fn)
    .then(
      (code) => finish(typeof code === 'number' ? code : 0),
      (err) => finish(1, `failed: ${err?.stack ?? err}`),
    );
}

module.exports = { onCleanup, trackChild, stopChild, runCleanups, runScript };
