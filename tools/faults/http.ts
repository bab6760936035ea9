// Raw HTTP for the fault suite: multipart bodies of any shape (two files, wrong field, cut off),
// bodies streamed without a length, and answers read even when the server stops reading early.
import http from 'node:http';
import { randomBytes } from 'node:crypto';

export type Part =
  | { name: string; value: string; filename?: undefined }
  | { name: string; filename: string; data: Buffer; type?: string };

/** parts: [{ name, value }] or [{ name, filename, data, type }]; `close: false` leaves the body unterminated. */
export function multipart(parts: Part[], { close = true } = {}): { body: Buffer; contentType: string } {
  const boundary = `----faults${randomBytes(10).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if (p.filename === undefined) {
      chunks.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`),
      );
    } else {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type ?? 'video/mp4'}\r\n\r\n`,
        ),
        p.data,
        Buffer.from('\r\n'),
      );
    }
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Sends one request. `body` is a Buffer (sent with its length) or an async iterable (sent chunked).
 * `abortAfterBytes` cuts the connection after that many body bytes (a client that goes away).
 * Resolves { status, contentType, body, json } or { status: 0, error } when no answer came.
 */
export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | AsyncIterable<Buffer>;
  abortAfterBytes?: number;
}

export interface Answer {
  status: number;
  contentType?: string;
  body?: string;
  json?: { job_id?: string; title?: string; detail?: string; status?: number };
  error?: NodeJS.ErrnoException;
}

export function request(
  baseUrl: string,
  path: string,
  { method = 'GET', headers = {}, body, abortAfterBytes }: RequestOptions = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request(`${baseUrl}${path}`, {
      method,
      headers: { ...headers, ...(Buffer.isBuffer(body) ? { 'content-length': body.length } : {}) },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let json: Answer['json'];
        try {
          json = JSON.parse(text) as Answer['json'];
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body: text, json });
      });
      res.on('error', (error) => resolve({ status: res.statusCode ?? 0, error }));
    });
    // Writing after the server answered early (413, 400) fails with EPIPE/ECONNRESET: not our verdict.
    req.on('error', (error) => {
      if (!answered) resolve({ status: 0, error });
    });
    if (body === undefined) {
      req.end();
      return;
    }
    if (Buffer.isBuffer(body)) {
      if (abortAfterBytes !== undefined)
        req.write(body.subarray(0, abortAfterBytes), () => setTimeout(() => req.destroy(), 200));
      else req.end(body);
      return;
    }
    (async () => {
      for await (const chunk of body) {
        if (answered || req.destroyed) return;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })().catch(() => undefined);
  });
}
