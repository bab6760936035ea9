import path from 'node:path';
import { makeRandomFtypFile, makeTempDir, makeTestVideo } from '../../../../packages/pipeline/src/test-support';
// Shared with the fault and benchmark scripts.
import { startStack, type Stack } from '../../../../tools/lib/stack';

jest.setTimeout(180_000);

let stack: Stack;
let tmp: { dir: string; remove: () => Promise<void> };
let video: string;
let corrupt: string;

beforeAll(async () => {
  tmp = await makeTempDir();
  video = await makeTestVideo({
    path: path.join(tmp.dir, 'clip.mp4'),
    frames: 30,
    width: 320,
    height: 240,
    text: 'EXIT 42',
  });
  corrupt = await makeRandomFtypFile(path.join(tmp.dir, 'corrupt.mp4'));
  stack = await startStack({ storage: 's3', env: { HEARTBEAT_MS: '500', LEASE_MS: '5000', REAP_INTERVAL_MS: '500' } });
  await stack.startApi();
  await Promise.all([stack.startWorker(), stack.startWorker()]);
});

afterAll(async () => {
  await stack?.stop();
  await tmp?.remove();
});

const claims = (jobId: string) =>
  stack.workers.flatMap((w) => w.lines.filter((l: string) => l.includes(jobId) && l.includes('pending->running')));

describe('split stack: API and two workers over Postgres, Redis and s3rver', () => {
  it('takes a generated MP4 from pending through running to completed with correct results', async () => {
    const jobId = await stack.submit(video, { pipeline_id: 'yolo_ocr', frame_stride: 7 });
    const seen: string[] = [];
    for (const until = Date.now() + 120_000; Date.now() < until;) {
      const { status } = await stack.status(jobId);
      if (seen[seen.length - 1] !== status) seen.push(status);
      if (status === 'completed' || status === 'failed') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // Every status seen is a step forward along pending → running → completed.
    const order = ['pending', 'running', 'completed'];
    expect(seen[seen.length - 1]).toBe('completed');
    expect(seen.map((s) => order.indexOf(s))).toEqual([...seen.map((s) => order.indexOf(s))].sort());
    expect(claims(jobId)).toHaveLength(1);

    const body = await stack.results(jobId);
    expect(body.results.map((r) => r.frame_index)).toEqual([0, 7, 14, 21, 28]);
    for (const r of body.results) {
      expect(Object.keys(r.result).sort()).toEqual(['detections', 'text', 'timestamp_ms']);
    }
    const text = body.results.flatMap((r) => (r.result.text ?? []).map((t) => t.text)).join(' ');
    expect(text.replace(/\s/g, '')).toContain('EXIT42');
    expect(stack.listObjects()).toEqual(
      expect.arrayContaining([`video_jobs/${jobId}.mp4`, `video_jobs/${jobId}_results.json`]),
    );
  });

  it('fails a corrupt MP4 (valid ftyp, broken body) with a readable error_message, without retrying', async () => {
    const jobId = await stack.submit(corrupt, { pipeline_id: 'yolo' });
    const [row] = await stack.waitForFinal([jobId], 60_000);
    expect(row.status).toBe('failed');
    expect(row.attempts).toBe(1);
    const status = await stack.status(jobId);
    expect(status.error_message).toMatch(/MP4|moov|truncated|decode|video stream/i);
    expect(status.error_message).not.toMatch(/Error:|at .*\.js/);
  });

  it('completes 20 jobs across two workers, each exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await stack.submit(video, { pipeline_id: 'yolo', max_frames: 1 }));
    const rows = await stack.waitForFinal(ids, 150_000);
    expect(rows.map((r) => r.status)).toEqual(Array(20).fill('completed'));
    expect(rows.map((r) => r.attempts)).toEqual(Array(20).fill(1));
    expect(new Set(rows.map((r) => r.locked_by)).size).toBe(2);
    for (const id of ids) expect(claims(id)).toHaveLength(1);
    const results = stack.listObjects().filter((k: string) => k.endsWith('_results.json'));
    for (const id of ids) expect(results.filter((k: string) => k.includes(id))).toHaveLength(1);
  });
});
