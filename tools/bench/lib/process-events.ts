// Turns a stack process's JSON log lines into events the scripts can wait on, stamped with the
// moment they reached this process (performance.now()), e.g. when a worker logged "job claimed".
import readline from 'node:readline';
import { performance } from 'node:perf_hooks';
import type { StackProcess } from '../../lib/stack';

/** One JSON log line of a stack process, stamped with when it arrived here. */
export interface LogEvent {
  at: number;
  message: string;
  job_id?: string;
  timestamp?: string;
  duration_ms?: number;
  [field: string]: unknown;
}
type Listener = (e: LogEvent) => void;
type Subscribe = (fn: Listener) => () => void;

/**
 * Calls `onEvent({ at, message, job_id, ...fields })` for every JSON line `p` (a stack process)
 * writes. Returns a function that stops listening.
 */
export function watchLog(p: StackProcess, onEvent: Listener): () => void {
  const rl = readline.createInterface({ input: p.proc.stdout });
  rl.on('line', (line) => {
    const at = performance.now();
    if (!line.startsWith('{')) return;
    try {
      onEvent({ ...(JSON.parse(line) as LogEvent), at });
    } catch {
      // not one of ours
    }
  });
  return () => rl.close();
}

/** Waits for the first event matching `match`, or rejects after timeoutMs. */
function waitForEvent(
  subscribe: Subscribe,
  match: (e: LogEvent) => boolean,
  timeoutMs: number,
  what = 'event',
): Promise<LogEvent> {
  return new Promise((resolve, reject) => {
    let stop = (): void => undefined;
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
export function eventHub(p: StackProcess) {
  const listeners = new Set<Listener>();
  const events: LogEvent[] = [];
  const unwatch = watchLog(p, (e) => {
    events.push(e);
    for (const l of [...listeners]) l(e);
  });
  const subscribe: Subscribe = (fn) => {
    listeners.add(fn);
    return () => {
      listeners.delete(fn);
    };
  };
  return {
    events,
    subscribe,
    next(match: (e: LogEvent) => boolean, timeoutMs: number, what: string, since = 0): Promise<LogEvent> {
      const seen = events.slice(since).find(match);
      return seen ? Promise.resolve(seen) : waitForEvent(subscribe, match, timeoutMs, what);
    },
    close: unwatch,
  };
}
