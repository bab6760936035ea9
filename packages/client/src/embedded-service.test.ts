import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { resultsIndexKey, ResultsIndexBuilder, resultsJsonStream, resultsKey } from '@video-jobs/core';
import { createApiHarness, type ApiHarness } from '../../../apps/api/test/api-harness';
import { makeTempDir, makeTestVideo } from '../../pipeline/src/test-support';
import { EXIT, run } from './cli';
import { VideoJobsClient } from './video-jobs-client';

/** The client and CLI against the real app over the embedded parts (PGlite, local files, memory queue). */
let h: ApiHarness;
let server: Server;
let baseUrl: string;
let tmp: { dir: string; remove: () => Promise<void> };
let mp4: string;

beforeAll(async () => {
  h = await createApiHarness();
  tmp = await makeTempDir();
  mp4 = await makeTestVideo({ path: path.join(tmp.dir, 'clip.mp4'), frames: 3, width: 64, height: 48 });
  server = h.app({ apiKeys: ['client-key'] }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await h?.close();
  await tmp?.remove();
});

async function drain() {
  while (await h.queue.dequeue(10)) {
    // the test plays the worker itself
  }
}

function sink() {
  const chunks: Buffer[] = [];
  const w = new Writable({ write: (c, _e, cb) => (chunks.push(Buffer.from(c)), cb()) });
  return Object.assign(w, { isTTY: false, text: () => Buffer.concat(chunks).toString() });
}

describe('VideoJobsClient against the embedded service', () => {
  it('retries a submit whose answer was lost with the same Idempotency-Key and gets the one job', async () => {
    let calls = 0;
    const keys: string[] = [];
    // The first answer is lost after the server handled the request, as on a dropped connection.
    const lossy: typeof fetch = async (input, init) => {
      calls++;
      keys.push(new Headers(init?.headers).get('idempotency-key') ?? '');
      const res = await fetch(input, init);
      if (calls === 1) {
        await res.arrayBuffer();
        throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      }
      return res;
    };
    const client = new VideoJobsClient({ baseUrl, apiKey: 'client-key', fetch: lossy, sleep: async () => {} });
    const before = (await h.storage.list('video_jobs/')).length;
    const { job_id } = await client.submit(mp4);
    expect(calls).toBe(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(await h.jobs.get(job_id)).toBeDefined();
    expect((await h.storage.list('video_jobs/')).length).toBe(before + 1);
    const page = await client.listJobs({ limit: 100 });
    expect(page.jobs.filter((j) => j.job_id === job_id)).toHaveLength(1);
    await drain();
  });

  it('lists jobs page by page and reads results page by page', async () => {
    const client = new VideoJobsClient({ baseUrl, apiKey: 'client-key' });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await client.submit(mp4, { pipelineId: 'yolo' })).job_id);
    await drain();
    const first = await client.listJobs({ limit: 2 });
    const second = await client.listJobs({ limit: 2, cursor: first.next_cursor! });
    expect([...first.jobs, ...second.jobs].map((j) => j.job_id).slice(0, 3)).toEqual([...ids].reverse());
    expect(first.jobs[0].pipeline_id).toBe('yolo');

    const jobId = ids[0];
    await h.jobs.claim(jobId, 'w');
    async function* frames() {
      for (let i = 0; i < 7; i++) yield { frame_index: i * 2, result: { timestamp_ms: i * 66.7, detections: [] } };
    }
    const index = new ResultsIndexBuilder();
    await h.storage.put(resultsKey(jobId), resultsJsonStream(frames(), index));
    await h.storage.put(resultsIndexKey(jobId), Readable.from([index.toBuffer()]));
    await h.jobs.complete(jobId, 'w', resultsKey(jobId));
    const all: unknown[] = [];
    for await (const f of client.resultFrames(jobId, { limit: 3 })) all.push(f);
    expect(all).toEqual((await client.results(jobId)).results);
    expect(await client.resultsPage(jobId, { fromFrame: 10, limit: 3 })).toMatchObject({ nextFromFrame: null });

    const stdout = sink();
    const stderr = sink();
    const io = { stdout, stderr, env: { VIDEO_JOBS_URL: baseUrl, VIDEO_JOBS_API_KEY: 'client-key' } };
    expect(await run(['results', jobId, '--from-frame', '3', '--limit', '2'], io)).toBe(EXIT.OK);
    expect(JSON.parse(stdout.text()).results.map((f: { frame_index: number }) => f.frame_index)).toEqual([4, 6]);
    expect(stderr.text()).toMatch(/more results: --from-frame 8/);
    const listOut = sink();
    expect(await run(['list', '--limit', '1', '--status', 'completed'], { ...io, stdout: listOut })).toBe(EXIT.OK);
    expect(JSON.parse(listOut.text()).jobs.map((j: { job_id: string }) => j.job_id)).toEqual([jobId]);
  });
});
