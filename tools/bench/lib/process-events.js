'use strict';
// Turns a stack process's JSON log lines into events the scripts can wait on, stamped with the
// moment they reached this process (performance.now()), e.g. when a worker logged "job claimed".
const readline = require('node:readline');
const { performance } = require('node:perf_hooks');

/**
 * Calls `onEvent({ at, message, job_id, ...fields })` for every JSON line `p` (a stack process)
 * writes. Returns a function that stops listening.
 */
function watchLog(p, onEvent) {
  const rl = readline.createInterface({ input: p.proc.stdout });
  rl.on('line', (line) => {
    const at = performance.now();
    if (!line.startsWith('{')) return;
    try {
      onEvent({ at, ...JSON.parse(line) });
    } catch {
      // not one of ours
    }
  });
  return () => rl.close();
}

/** Waits for the first event matching `match`, or rejects after timeoutMs. */
function waitForEvent(subscribe, match, timeoutMs, what = 'event') {
  return new Promise((resolve, reject) => {
    let stop = () => {};
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    stop = subscribe((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      stop();
      resolve(e);
    });
  });
}

/**
 * A tiny hub: many waiters on one log stream. `next` first looks at events already seen (from
 * index `since`), so a line that arrived before the caller started waiting is not missed.
 */
function eventHub(p) {
  const listeners = new Set();
  const events = [];
  const unwatch = watchLog(p, (e) => {
    events.push(e);
    for (const l of [...listeners]) l(e);
  });
  const subscribe = (fn) => {
    listeners.add(fn);
    return () => listeners.delete(fn);
  };
  return {
    events,
    subscribe,
    next(match, timeoutMs, what, since = 0) {
      const seen = events.slice(since).find(match);
      return seen ? Promise.resolve(seen) : waitForEvent(subscribe, match, timeoutMs, what);
    },
    close: unwatch,
  };
}

module.exports = { watchLog, eventHub };
