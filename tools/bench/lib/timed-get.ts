// One client asking one thing again and again on a keep-alive connection, each answer read to its
// end: the cost of a request as a poller or a paging client sees it, without queueing behind others.
import http from 'node:http';

export interface TimedAnswer {
  status: number;
  ms: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** GET `url`, timed from the request to the last byte of the body. */
export function timedGet(url: string, { keepBody = true } = {}): Promise<TimedAnswer> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http
      .get(url, { agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => {
          if (keepBody) chunks.push(d);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ms: Number(process.hrtime.bigint() - t0) / 1e6,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** `n` GETs one after the other; their times in ms. Throws on any answer but `expect`. */
export async function timeRepeated(url: string, n: number, expect = 200): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await timedGet(url, { keepBody: false });
    if (r.status !== expect) throw new Error(`GET ${url} answered ${r.status}, expected ${expect}`);
    times.push(r.ms);
  }
  return times;
}

export function closeTimedGetAgent(): void {
  agent.destroy();
}
