import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { EXIT, run } from './cli';
import { fakeClock, fakeFetch, JOB_ID, jobStatus, json, problem, RESULTS } from './test-support/fake-service';

function sink() {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  return Object.assign(w, { isTTY: false, text: () => Buffer.concat(chunks).toString() });
}

/** A fake service: submit answers 202, status walks through `states`, results answers RESULTS. */
function service(states: string[] = ['completed'], overrides: Record<string, () => Response> = {}) {
  let polls = 0;
  return fakeFetch(async (req) => {
    const route = new URL(req.url).pathname.split('/').slice(0, 3).join('/');
    if (overrides[route]) return overrides[route]();
    if (route === '/video/submit') {
      await req.arrayBuffer();
      return json({ job_id: JOB_ID }, 202);
    }
    if (route === '/video/status') {
      const s = states[Math.min(polls++, states.length - 1)];
      return json(jobStatus(s as never, s === 'failed' ? { error_message: 'not a decodable video' } : {}));
    }
    if (route === '/video/results') return json(RESULTS);
    return problem(404, `no route ${route}`);
  });
}

let dir: string;
let clip: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
  clip = path.join(dir, 'clip.mp4');
  fs.writeFileSync(clip, Buffer.from('\0\0\0\x18ftypisom-fake'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[], f: typeof fetch, env: Record<string, string> = {}, stdin?: Readable) {
  const stdout = sink();
  const stderr = sink();
  const code = await run(argv, { stdout, stderr, env, fetch: f, stdin, ...fakeClock() });
  return { code, out: stdout.text(), err: stderr.text() };
}

describe('video-jobs CLI', () => {
  describe('submit', () => {
    it('prints {"job_id"} on stdout and passes the options as query parameters', async () => {
      const f = service();
      const r = await cli(['submit', clip, '--pipeline', 'yolo', '--stride', '5', '--max-frames', '10'], f);
      expect(r.code).toBe(EXIT.OK);
      expect(JSON.parse(r.out)).toEqual({ job_id: JOB_ID });
      expect(r.err).toContain(`submitted job ${JOB_ID}`);
      expect(f.seen).toHaveLength(1);
      expect(f.seen[0].url.href).toBe(
        'http://localhost:8080/video/submit?pipeline_id=yolo&frame_stride=5&max_frames=10',
      );
    });

    it('reads the URL from --url or VIDEO_JOBS_URL and the key from VIDEO_JOBS_API_KEY', async () => {
      const f = service();
      await cli(['submit', clip], f, { VIDEO_JOBS_URL: 'http://env.test:9000', VIDEO_JOBS_API_KEY: 'secret' });
      await cli(['--url', 'http://flag.test', 'submit', clip], f, { VIDEO_JOBS_URL: 'http://env.test:9000' });
      expect(f.seen.map((s) => s.url.origin)).toEqual(['http://env.test:9000', 'http://flag.test']);
      expect(f.seen[0].headers.get('authorization')).toBe('Bearer secret');
      expect(f.seen[1].headers.has('authorization')).toBe(false);
    });

    it('reads the video from stdin for "-"', async () => {
      const f = service();
      const r = await cli(['submit', '-'], f, {}, Readable.from([Buffer.from('\0\0\0\x18ftypisom')]));
      expect(r.code).toBe(EXIT.OK);
      expect(f.seen[0].headers.get('content-type')).toMatch(/^multipart\/form-data/);
    });

    it('with --wait prints the results once the job completes, and only status text on stderr', async () => {
      const r = await cli(['submit', clip, '--wait'], service(['pending', 'running', 'completed']));
      expect(r.code).toBe(EXIT.OK);
      expect(JSON.parse(r.out)).toEqual(RESULTS);
      expect(r.err).toContain(`job ${JOB_ID}: pending\njob ${JOB_ID}: running\njob ${JOB_ID}: completed\n`);
    });

    it('with --wait --out writes the results to the file and the final status to stdout', async () => {
      const out = path.join(dir, 'results.json');
      const r = await cli(['submit', clip, '--wait', '--out', out], service(['running', 'completed']));
      expect(r.code).toBe(EXIT.OK);
      expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(RESULTS);
      expect(JSON.parse(r.out)).toMatchObject({ job_id: JOB_ID, status: 'completed', progress: 1 });
    });

    it('exits 1 with the failed status on stdout when the job fails', async () => {
      const r = await cli(['submit', clip, '--wait'], service(['running', 'failed']));
      expect(r.code).toBe(EXIT.JOB_FAILED);
      expect(JSON.parse(r.out)).toMatchObject({ status: 'failed', error_message: 'not a decodable video' });
      expect(r.err).toContain('failed: not a decodable video');
    });

    it('exits 4 with the last status on stdout when --timeout passes', async () => {
      const r = await cli(['submit', clip, '--wait', '--timeout', '2'], service(['running']));
      expect(r.code).toBe(EXIT.TIMEOUT);
      expect(JSON.parse(r.out)).toMatchObject({ job_id: JOB_ID, status: 'running' });
      expect(r.err).toMatch(/did not finish within 2000 ms/);
    });

    it('exits 2 with the problem detail when the API refuses the upload', async () => {
      const f = service([], {
        '/video/submit': () => problem(400, 'not an MP4: no ftyp box at byte 4', 'Bad Request'),
      });
      const r = await cli(['submit', clip], f);
      expect(r.code).toBe(EXIT.USAGE);
      expect(r.out).toBe('');
      expect(r.err).toContain('400 Bad Request: not an MP4: no ftyp box at byte 4');
    });
  });

  describe('status and results', () => {
    it('prints the status JSON', async () => {
      const f = service(['running']);
      const r = await cli(['status', JOB_ID], f);
      expect(r.code).toBe(EXIT.OK);
      expect(JSON.parse(r.out)).toEqual(jobStatus('running'));
      expect(f.seen[0].url.pathname).toBe(`/video/status/${JOB_ID}`);
    });

    it('prints the results, or writes them with --out', async () => {
      const r = await cli(['results', JOB_ID], service());
      expect(JSON.parse(r.out)).toEqual(RESULTS);
      const out = path.join(dir, 'r2.json');
      const w = await cli(['results', JOB_ID, '--out', out], service());
      expect(w.code).toBe(EXIT.OK);
      expect(w.out).toBe('');
      expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual(RESULTS);
    });

    it('exits 2 for an unknown job (404)', async () => {
      const f = service([], {
        '/video/results': () => problem(404, 'job is running, results exist once it completes'),
      });
      const r = await cli(['results', JOB_ID], f);
      expect(r.code).toBe(EXIT.USAGE);
      expect(r.err).toContain('job is running');
    });

    it('exits 3 on a server error or an unreachable service', async () => {
      expect((await cli(['status', JOB_ID], service([], { '/video/status': () => problem(500, 'boom') }))).code).toBe(
        EXIT.SERVER,
      );
      const down = fakeFetch(() => {
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      });
      const r = await cli(['status', JOB_ID], down);
      expect(r.code).toBe(EXIT.SERVER);
      expect(r.err).toContain('ECONNREFUSED');
    });

    it('waits for an already submitted job with `wait`', async () => {
      const r = await cli(['wait', JOB_ID], service(['pending', 'completed']));
      expect(r.code).toBe(EXIT.OK);
      expect(JSON.parse(r.out)).toEqual(RESULTS);
    });
  });

  describe('usage errors exit 2 before any request', () => {
    it.each([
      [[]],
      [['frobnicate']],
      [['status']],
      [['submit']],
      [['submit', 'clip.mp4', '--stride', '0']],
      [['submit', 'clip.mp4', '--max-frames', '2.5']],
      [['submit', 'clip.mp4', '--stride', '-3']],
      [['submit', 'clip.mp4', '--out', 'r.json']],
      [['submit', 'clip.mp4', '--wait', '--timeout', 'soon']],
      [['submit', '/does/not/exist.mp4']],
      [['--url', 'localhost:8080', 'status', 'x']],
    ])('%j', async (argv) => {
      const f = service();
      const r = await cli(argv, f);
      expect(r.code).toBe(EXIT.USAGE);
      expect(r.err).not.toBe('');
      expect(f.seen).toHaveLength(0);
    });

    it('--help exits 0', async () => {
      const r = await cli(['--help'], service());
      expect(r.code).toBe(EXIT.OK);
      expect(r.out).toContain('Exit codes');
    });
  });

  it('-q keeps stderr quiet on success', async () => {
    const r = await cli(['-q', 'submit', clip, '--wait'], service(['running', 'completed']));
    expect(r.code).toBe(EXIT.OK);
    expect(r.err).toBe('');
  });
});
