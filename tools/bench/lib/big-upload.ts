// Streams a multipart upload of a valid MP4 of any size without holding it: a real short clip,
// then one ISO-BMFF `free` box (which decoders skip) filled with zeros up to the size asked for.
import fs from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';

const CHUNK = Buffer.alloc(1024 * 1024);

/** POSTs a `totalBytes` MP4 built from `clipFile` to `url`; resolves { status, body, seconds }. */
export function streamUpload(
  url: string,
  clipFile: string,
  totalBytes: number,
  fields: Record<string, string> = {},
): Promise<{ status: number; body: string; seconds: number }> {
  const clip = fs.readFileSync(clipFile);
  const pad = totalBytes - clip.length;
  if (pad < 8 || pad > 0xffffffff) throw new Error(`cannot pad ${clip.length} bytes to ${totalBytes}`);
  const freeHeader = Buffer.alloc(8);
  freeHeader.writeUInt32BE(pad, 0);
  freeHeader.write('free', 4, 'latin1');

  const boundary = `----big${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    Object.entries(fields)
      .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const started = process.hrtime.bigint();

  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': head.length + totalBytes + tail.length,
      },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, seconds: Number(process.hrtime.bigint() - started) / 1e9 }),
      );
    });
    let zeros = pad - 8;
    const write = (): void => {
      // Respect back-pressure: a client that writes faster than the server reads would measure itself.
      while (zeros > 0) {
        const n = Math.min(zeros, CHUNK.length);
        zeros -= n;
        if (!req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
          req.once('drain', write);
          return;
        }
      }
      req.end(tail);
    };
    req.write(head);
    req.write(clip);
    req.write(freeHeader);
    write();
  });
}
