/**
 * A fetch stand-in for unit tests of the client's own logic (backoff, errors, CLI arguments):
 * each call is turned into a Request and answered by the handler. The real service is exercised by
 * the integration tests in packages/client/test/.
 */
import type { JobStatus } from '../types';

export interface Seen {
  method: string;
  url: URL;
  headers: Headers;
}

export function fakeFetch(handler: (req: Request) => Response | Promise<Response>): typeof fetch & { seen: Seen[] } {
  const seen: Seen[] = [];
  const f = async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    seen.push({ method: req.method, url: new URL(req.url), headers: req.headers });
    return handler(req);
  };
  return Object.assign(f, { seen });
}

export const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export const problem = (status: number, detail: string, title = 'Error') =>
  new Response(JSON.stringify({ type: 'about:blank', title, status, detail }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

export const JOB_ID = '0b5c8a52-4a57-4d0e-9b7a-1f2f6b9c1d11';

export function jobStatus(status: JobStatus['status'], extra: Partial<JobStatus> = {}): JobStatus {
  const progress = ({ pending: 0, running: 0.5, completed: 1, failed: 1 } as const)[status];
  return {
    job_id: JOB_ID,
    status,
    progress,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:01.000Z',
    ...extra,
  };
}

export const RESULTS = {
  job_id: JOB_ID,
  results: [{ frame_index: 0, result: { timestamp_ms: 0, detections: [] } }],
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:09.000Z',
};

/** A clock that only moves when the code under test sleeps. */
export function fakeClock() {
  let t = 0;
  const delays: number[] = [];
  return {
    delays,
    now: () => t,
    sleep: async (ms: number) => {
      delays.push(ms);
      t += ms;
    },
  };
}
