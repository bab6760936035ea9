// The bad-input corpus: what a careless or hostile client sends, and what each must get back.
// `expect` lists the acceptable statuses (0 = no answer, for a client that hangs up itself);
// `job` says what a 202 must lead to: 'failed' (a broken video fails with a clear message, once)
// or 'completed'. Cases after `lookups` need the jobs of earlier cases to be final.
import { randomBytes, randomUUID } from 'node:crypto';
import { multipart, type Part, type RequestOptions } from './http';

/** What the cases build their bodies from; `jobs` maps a case name to the job its 202 created. */
export interface CaseFiles {
  video: Buffer;
  png: Buffer;
  moovAtEnd: Buffer;
  audioOnly: Buffer;
  limit: number;
  jobs: Map<string, string>;
}

export interface Case {
  name: string;
  /** acceptable statuses; 0 = no answer */
  expect: number[];
  /** what a 202 must lead to */
  job?: 'failed' | 'completed';
  /** undefined: the own key; null: none; 'other': the other key's; else the header as given */
  auth?: string | null;
  form?: (f: CaseFiles) => Part[];
  raw?: () => { contentType: string; body: Buffer };
  path?: (jobs: Map<string, string>) => string;
  query?: string;
  chunked?: boolean;
  unterminated?: boolean;
  abortHalfway?: boolean;
}

const FTYP = Buffer.from('000000186674797069736f6d0000020069736f6d6d703431', 'hex');

export const uploadCases: Case[] = [
  {
    name: 'zero-byte file',
    expect: [400],
    form: () => [{ name: 'file', filename: 'empty.mp4', data: Buffer.alloc(0) }],
  },
  {
    name: 'random bytes',
    expect: [400],
    form: () => [{ name: 'file', filename: 'noise.mp4', data: randomBytes(64 * 1024) }],
  },
  {
    name: 'PNG named .mp4',
    expect: [400],
    form: (f: CaseFiles) => [{ name: 'file', filename: 'frame.mp4', data: f.png }],
  },
  {
    name: '"ftyp" header + garbage',
    expect: [202],
    job: 'failed',
    form: () => [{ name: 'file', filename: 'g.mp4', data: Buffer.concat([FTYP, randomBytes(64 * 1024)]) }],
  },
  {
    name: 'truncated MP4 (index cut off)',
    expect: [202],
    job: 'failed',
    form: (f: CaseFiles) => [
      { name: 'file', filename: 't.mp4', data: f.moovAtEnd.subarray(0, f.moovAtEnd.length >> 1) },
    ],
  },
  {
    name: 'audio-only MP4',
    expect: [202],
    job: 'failed',
    form: (f: CaseFiles) => [{ name: 'file', filename: 'a.mp4', data: f.audioOnly }],
  },
  {
    name: 'two files',
    expect: [400],
    form: (f: CaseFiles) => [
      { name: 'file', filename: 'a.mp4', data: f.video },
      { name: 'file', filename: 'b.mp4', data: f.video },
    ],
  },
  { name: 'no file (fields only)', expect: [400], form: () => [{ name: 'pipeline_id', value: 'yolo' }] },
  {
    name: 'wrong field name ("video")',
    expect: [400],
    form: (f: CaseFiles) => [{ name: 'video', filename: 'a.mp4', data: f.video }],
  },
  {
    name: 'over MAX_UPLOAD_BYTES, length declared',
    expect: [413],
    form: (f: CaseFiles) => [
      { name: 'file', filename: 'big.mp4', data: Buffer.concat([f.video, Buffer.alloc(f.limit)]) },
    ],
  },
  {
    name: 'over MAX_UPLOAD_BYTES, chunked (no length)',
    expect: [413],
    chunked: true,
    form: (f: CaseFiles) => [
      { name: 'file', filename: 'big.mp4', data: Buffer.concat([f.video, Buffer.alloc(f.limit)]) },
    ],
  },
  ...[['0'], ['-1'], ['1.5'], ['abc'], ['1e9'], ['999999999999']].map(([v]) => ({
    name: `frame_stride=${v}`,
    expect: [400],
    form: (f: CaseFiles) => [
      { name: 'frame_stride', value: v },
      { name: 'file', filename: 'a.mp4', data: f.video },
    ],
  })),
  {
    name: 'max_frames=0',
    expect: [400],
    form: (f: CaseFiles) => [
      { name: 'max_frames', value: '0' },
      { name: 'file', filename: 'a.mp4', data: f.video },
    ],
  },
  {
    name: 'max_frames=-3',
    expect: [400],
    form: (f: CaseFiles) => [
      { name: 'max_frames', value: '-3' },
      { name: 'file', filename: 'a.mp4', data: f.video },
    ],
  },
  {
    name: 'unknown pipeline_id',
    expect: [400],
    form: (f: CaseFiles) => [
      { name: 'pipeline_id', value: 'no_such_pipeline' },
      { name: 'file', filename: 'a.mp4', data: f.video },
    ],
  },
  {
    name: 'bad parameter in the query string',
    expect: [400],
    query: '?frame_stride=0',
    form: (f: CaseFiles) => [{ name: 'file', filename: 'a.mp4', data: f.video }],
  },
  {
    name: 'not multipart (JSON body)',
    expect: [400],
    raw: () => ({ contentType: 'application/json', body: Buffer.from('{"file":"x"}') }),
  },
  {
    name: 'malformed JSON body',
    expect: [400],
    raw: () => ({ contentType: 'application/json', body: Buffer.from('{"file":') }),
  },
  {
    name: 'multipart without its closing boundary',
    expect: [400],
    unterminated: true,
    form: (f: CaseFiles) => [{ name: 'file', filename: 'a.mp4', data: f.video }],
  },
  {
    name: 'client hangs up mid-upload',
    expect: [0],
    abortHalfway: true,
    form: (f: CaseFiles) => [
      { name: 'file', filename: 'a.mp4', data: Buffer.concat([f.video, Buffer.alloc(2 * 1024 * 1024)]) },
    ],
  },
  {
    name: 'path-traversal filename',
    expect: [202],
    job: 'completed',
    form: (f: CaseFiles) => [{ name: 'file', filename: '../../../../etc/passwd.mp4', data: f.video }],
  },
  {
    name: 'very long filename (4000 chars)',
    expect: [202, 400],
    job: 'completed',
    form: (f: CaseFiles) => [{ name: 'file', filename: `${'x'.repeat(4000)}.mp4`, data: f.video }],
  },
  {
    name: 'filename with NUL and newline',
    expect: [202, 400],
    job: 'completed',
    form: (f: CaseFiles) => [{ name: 'file', filename: 'a\u0000b\nc.mp4', data: f.video }],
  },
  {
    name: 'no API key',
    expect: [401],
    auth: null,
    form: (f: CaseFiles) => [{ name: 'file', filename: 'a.mp4', data: f.video }],
  },
  {
    name: 'wrong API key',
    expect: [401],
    auth: 'Bearer not-a-key',
    form: (f: CaseFiles) => [{ name: 'file', filename: 'a.mp4', data: f.video }],
  },
  {
    name: 'Basic instead of Bearer',
    expect: [401],
    auth: 'Basic ZmF1bHQ6a2V5',
    form: (f: CaseFiles) => [{ name: 'file', filename: 'a.mp4', data: f.video }],
  },
];

export const lookups: Case[] = [
  { name: 'status of a malformed id', expect: [404], path: () => '/video/status/not-a-uuid' },
  { name: 'status of an unknown id', expect: [404], path: () => `/video/status/${randomUUID()}` },
  { name: 'results of a malformed id', expect: [404], path: () => '/video/results/12345' },
  { name: 'results of an unknown id', expect: [404], path: () => `/video/results/${randomUUID()}` },
  { name: 'status with a path-traversal id', expect: [404], path: () => '/video/status/..%2F..%2F..%2Fetc%2Fpasswd' },
  {
    name: "another key's job: status",
    expect: [404],
    auth: 'other',
    path: (jobs) => `/video/status/${jobs.get('path-traversal filename')}`,
  },
  {
    name: "another key's job: results",
    expect: [404],
    auth: 'other',
    path: (jobs) => `/video/results/${jobs.get('path-traversal filename')}`,
  },
  { name: 'results of a failed job', expect: [404], path: (jobs) => `/video/results/${jobs.get('audio-only MP4')}` },
  {
    name: 'status without an API key',
    expect: [401],
    auth: null,
    path: (jobs) => `/video/status/${jobs.get('path-traversal filename')}`,
  },
  { name: 'unknown route', expect: [404], path: () => '/video/delete/1' },
];

/** The request a case sends: { path, method, headers, body, abortAfterBytes }. */
export function buildRequest(
  c: Case,
  files: CaseFiles,
  keys: { own: string; other: string },
): RequestOptions & { path: string } {
  const auth = c.auth === undefined ? `Bearer ${keys.own}` : c.auth === 'other' ? `Bearer ${keys.other}` : c.auth;
  const headers: Record<string, string> = auth ? { authorization: auth } : {};
  if (c.path) return { path: c.path(files.jobs), method: 'GET', headers };
  // Quick jobs for the uploads that are accepted; a case's own value of a field wins.
  const parts = c.form ? c.form(files) : [];
  for (const [name, value] of [
    ['pipeline_id', 'yolo'],
    ['max_frames', '2'],
  ]) {
    if (!parts.some((p) => p.name === name)) parts.unshift({ name, value });
  }
  const { body, contentType } = c.raw ? c.raw() : multipart(parts, { close: !c.unterminated });
  headers['content-type'] = contentType;
  const req: RequestOptions & { path: string } = {
    path: `/video/submit${c.query ?? ''}`,
    method: 'POST',
    headers,
    body,
  };
  if (c.chunked) {
    req.body = (async function* chunks() {
      for (let i = 0; i < body.length; i += 64 * 1024) yield body.subarray(i, i + 64 * 1024);
    })();
  }
  if (c.abortHalfway) req.abortAfterBytes = body.length >> 1;
  return req;
}
