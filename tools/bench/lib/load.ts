// autocannon runs reduced to the figures the reports print, and the multipart body they send.
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';

/**
 * Runs autocannon and returns { requests, ok, non2xx, errors, seconds, rps, p50, p90, p99, max }.
 * Requests/s counts 2xx answers only, over the run's whole duration, so a failing server scores low.
 */
export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export async function runLoad(opts: autocannon.Options): Promise<LoadResult> {
  const result = await autocannon({ ...opts, timeout: opts.timeout ?? 30 });
  const ok = result['2xx'];
  return {
    requests: result.requests.total,
    ok,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    seconds: result.duration,
    rps: ok / result.duration,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
  };
}

/** A multipart/form-data body with one file part and some text fields, built once and reused. */
export function multipartBody(
  fileBytes: Buffer,
  fields: Record<string, string> = {},
  filename = 'clip.mp4',
): { body: Buffer; contentType: string } {
  const boundary = `----bench${randomBytes(12).toString('hex')}`;
  const parts = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: video/mp4\r\n\r\n`,
    ),
    fileBytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
