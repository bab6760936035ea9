import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';

/**
 * A multipart/form-data body with one file part, produced while the source is read: the upload of a
 * stream of unknown length never sits in memory whole. (For a path or a Blob, FormData does this.)
 */
export function multipartFileBody(
  field: string,
  filename: string,
  contentType: string,
  source: AsyncIterable<Uint8Array | string>,
): { body: ReadableStream<Uint8Array>; contentType: string } {
  const boundary = `video-jobs-${randomUUID()}`;
  const safeName = filename.replace(/["\r\n\\]/g, '_');
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${safeName}"\r\n` +
      `Content-Type: ${contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* parts(): AsyncGenerator<Uint8Array> {
    yield head;
    for await (const chunk of source) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    yield tail;
  }
  return {
    body: Readable.toWeb(Readable.from(parts(), { objectMode: false })) as ReadableStream<Uint8Array>,
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
