'use strict';
// autocannon runs reduced to the figures the reports print, and the multipart body they send.
const { randomBytes } = require('node:crypto');
const autocannon = require('autocannon');

/**
 * Runs autocannon and returns { requests, ok, non2xx, errors, seconds, rps, p50, p90, p99, max }.
 * Requests/s counts 2xx answers only, over the run's whole duration, so a failing server scores low.
 */
async function runLoad(opts) {
  const instance = autocannon({ ...opts, timeout: opts.timeout ?? 30 });
  const result = await instance;
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
    statusCodes: result.statusCodeStats,
  };
}

/** A multipart/form-data body with one file part and some text fields, built once and reused. */
function multipartBody(fileBytes, fields = {}, filename = 'clip.mp4') {
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

module.exports = { runLoad, multipartBody };
