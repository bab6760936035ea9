// Polling clients the way real ones poll: each of `clients` keeps one keep-alive connection and
// asks every clients/rate seconds, starting at a random phase so they do not fire in step.
// (autocannon's fixed-rate mode releases each second's requests together, which measures bursts.)
import http from 'node:http';
import type { LoadResult } from './load';
import { percentile } from './stats';

function get(agent: http.Agent, url: string): Promise<{ status: number; ms: number }> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      })
      .on('error', () => resolve({ status: 0, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
  });
}

/** Resolves { requests, ok, non2xx, rps, p50, p90, p99, max } after `seconds`. */
export async function pollAtRate({
  baseUrl,
  paths,
  clients,
  rate,
  seconds,
}: {
  baseUrl: string;
  paths: string[];
  clients: number;
  rate: number;
  seconds: number;
}): Promise<LoadResult> {
  const intervalMs = (clients / rate) * 1000;
  const until = Date.now() + seconds * 1000;
  const latencies: number[] = [];
  let non2xx = 0;
  const client = async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let next = Date.now() + Math.random() * intervalMs;
    while (next < until) {
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      const r = await get(agent, `${baseUrl}${paths[Math.floor(Math.random() * paths.length)]}`);
      if (r.status >= 200 && r.status < 300) latencies.push(r.ms);
      else non2xx++;
      // A slow answer does not shift the schedule: the next poll is due when it is due.
      next += intervalMs;
    }
    agent.destroy();
  };
  await Promise.all(Array.from({ length: clients }, client));
  return {
    requests: latencies.length + non2xx,
    ok: latencies.length,
    non2xx,
    errors: 0,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
  };
}
