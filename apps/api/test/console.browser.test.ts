import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { chromium, type Browser, type Page } from 'playwright-core';
import { resultsKey } from '@video-jobs/core';
import { newJobFactory } from '@video-jobs/core/test-support';
import { hashApiKey } from '../src/http/auth';
import { createApiHarness, type ApiHarness } from './api-harness';

// Plain CommonJS shared with the fault and benchmark scripts.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { startStack } = require('../../../tools/lib/stack');

jest.setTimeout(240_000);

// The page.evaluate callbacks run in the browser; the tests' type-check has no DOM lib, so the few
// browser globals they touch are declared loosely here (the console's own code is typed with DOM).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare const sessionStorage: any;

// Debian's chromium (.ci/run installs it); CHROMIUM_PATH overrides.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SAMPLES = path.resolve(__dirname, '../../../../shared/samples');
// Set CONSOLE_SCREENSHOTS=docs/images to refresh the screenshots in the docs.
const SHOTS = process.env.CONSOLE_SCREENSHOTS;
const DETECTION_RGB = [0x00, 0xe5, 0xff];
const TEXT_RGB = [0xff, 0xd4, 0x00];

let browser: Browser;
let stack: any;

beforeAll(async () => {
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: apt-get install chromium, or set CHROMIUM_PATH`);
  }
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  // `node apps/api` in its embedded mode (no REDIS_URL: the worker runs in-process) over Postgres.
  stack = await startStack({ storage: 'local' });
  await stack.startApi({ REDIS_URL: '' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A page that records console errors and failed requests, which no console page should cause. */
async function openPage(width = 1280, height = 720): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
  return { page, problems };
}

/**
 * Whether the canvas shows `rgb` along the left edge of `box` (source-video pixels), computed the
 * way the overlay scales: the picture letterboxed into the element, device pixels on the canvas.
 */
async function edgeMatches(page: Page, box: number[], rgb: number[]): Promise<{ hits: number; samples: number }> {
  return page.evaluate(
    ({ box, rgb }) => {
      const video = document.getElementById('player');
      const canvas = document.getElementById('overlay');
      const ctx = canvas.getContext('2d')!;
      const s = Math.min(canvas.width / video.videoWidth, canvas.height / video.videoHeight);
      const ox = (canvas.width - video.videoWidth * s) / 2;
      const oy = (canvas.height - video.videoHeight * s) / 2;
      const x = ox + box[0] * s;
      let hits = 0;
      let samples = 0;
      // Lower half of the left edge: the label sits on the top edge.
      for (let i = 0; i < 10; i++) {
        const y = oy + (box[1] + (box[3] - box[1]) * (0.5 + i * 0.045)) * s;
        const px = ctx.getImageData(Math.round(x) - 1, Math.round(y), 3, 1).data;
        samples++;
        for (let k = 0; k < 3; k++) {
          const [r, g, b] = [px[k * 4], px[k * 4 + 1], px[k * 4 + 2]];
          if (Math.abs(r - rgb[0]) < 40 && Math.abs(g - rgb[1]) < 40 && Math.abs(b - rgb[2]) < 40) {
            hits++;
            break;
          }
        }
      }
      return { hits, samples };
    },
    { box, rgb },
  );
}

/** Opens a job, jumps to `frameIndex` through the frame list and waits until the canvas shows it. */
async function showFrame(page: Page, frameIndex: number) {
  await page.locator(`#frames button[data-frame-index="${frameIndex}"]`).click();
  await page.waitForFunction(
    (i) => {
      const v = document.getElementById('player');
      const c = document.getElementById('overlay');
      return !!v && v.readyState >= 1 && !v.seeking && c?.dataset.frameIndex === String(i);
    },
    frameIndex,
    { timeout: 30_000 },
  );
}

describe('console (/ui) in Chromium', () => {
  it('submits chickens.mp4 through the form, sees it complete in the list, and draws its boxes over the video', async () => {
    const { page, problems } = await openPage();
    await page.goto(`${stack.baseUrl}/ui/`);
    await page.locator('#pipeline_id option[value="yolo"]').waitFor({ state: 'attached' });
    await page.setInputFiles('#file', path.join(SAMPLES, 'chickens.mp4'));
    await page.selectOption('#pipeline_id', 'yolo');
    await page.fill('#frame_stride', '30');
    await page.fill('#max_frames', '12');
    await page.click('#submit');
    await page.locator('#submit-message', { hasText: 'Submitted' }).waitFor({ timeout: 60_000 });
    const jobId = /job ([0-9a-f-]{36})/.exec((await page.textContent('#submit-message'))!)![1];

    // The list polls while the job is pending or running, then stops.
    const item = page.locator(`li[data-job-id="${jobId}"]`);
    await item.waitFor();
    await page.locator(`li[data-job-id="${jobId}"][data-status="completed"]`).waitFor({ timeout: 180_000 });
    await page.waitForFunction(() => document.getElementById('jobs')?.dataset.polling === 'false');
    expect(await item.locator('.pipeline').textContent()).toBe('yolo');
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'console-jobs.png') });

    await item.locator('a.id').click();
    await page.locator('#frames button').first().waitFor({ timeout: 30_000 });
    const results = await stack.results(jobId);
    const frame = results.results.find((f: any) => f.result.detections.length > 0);
    expect(frame).toBeDefined();
    await showFrame(page, frame.frame_index);
    const box = frame.result.detections[0].box;
    const { hits, samples } = await edgeMatches(page, box, DETECTION_RGB);
    expect(hits).toBeGreaterThanOrEqual(samples - 1);
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'console-job.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('draws an OCR line over a video with text', async () => {
    const jobId = await stack.submit(path.join(SAMPLES, 'traffic_cam_timestamp.mp4'), {
      pipeline_id: 'ocr',
      max_frames: 1,
    });
    const [row] = await stack.waitForFinal([jobId], 120_000);
    expect(row.status).toBe('completed');
    const results = await stack.results(jobId);
    const line = results.results[0].result.text[0];
    expect(line).toBeDefined();

    const { page, problems } = await openPage();
    await page.goto(`${stack.baseUrl}/ui/#/jobs/${jobId}`);
    await page.locator('#frames button').first().waitFor({ timeout: 30_000 });
    await showFrame(page, 0);
    const { hits, samples } = await edgeMatches(page, line.box, TEXT_RGB);
    expect(hits).toBeGreaterThanOrEqual(samples - 1);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('fits a phone-width screen without sideways scrolling', async () => {
    const { page, problems } = await openPage(390, 844);
    await page.goto(`${stack.baseUrl}/ui/`);
    await page.locator('#jobs li').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // Keyboard: the first Tab stops reach the links and the file picker.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('A');
    if (SHOTS) await page.screenshot({ path: path.join(SHOTS, 'console-phone.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });
});

describe('console with API keys', () => {
  let h: ApiHarness;
  let server: Server;
  let base: string;
  let jobId: string;

  beforeAll(async () => {
    h = await createApiHarness();
    // A completed job of key-a with its input and results, to play through the service worker.
    jobId = randomUUID();
    const job = await h.jobs.create(
      newJobFactory({ job_id: jobId, status: 'completed', owner: hashApiKey('key-a'), output_path: resultsKey(jobId) }),
    );
    await h.storage.put(job.input_path, Readable.from([await readFile(path.join(SAMPLES, 'chickens.mp4'))]));
    const results = [
      {
        frame_index: 0,
        result: {
          timestamp_ms: 0,
          detections: [{ label: 'bird', class_id: 14, confidence: 0.9, box: [600, 300, 1200, 900] }],
        },
      },
    ];
    await h.storage.put(resultsKey(jobId), Readable.from([JSON.stringify(results)]));
    server = h.app({ apiKeys: ['key-a', 'key-b'] }).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await h?.close();
  });

  it('asks for a key on 401, refuses a wrong one, and with the right one lists the jobs and plays the video', async () => {
    const { page } = await openPage();
    await page.goto(`${base}/ui/`);
    const dialog = page.locator('#key-dialog[open]');
    await dialog.waitFor();
    expect(await page.textContent('#key-message')).toMatch(/needs an API key/);

    await page.fill('#key-input', 'wrong-key');
    await page.click('#key-submit');
    await page.locator('#key-message', { hasText: 'refused' }).waitFor();
    expect(await dialog.isVisible()).toBe(true);

    await page.fill('#key-input', 'key-a');
    await page.click('#key-submit');
    await page.locator(`li[data-job-id="${jobId}"]`).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('video-jobs.api-key'))).toBe('key-a');

    // The <video> cannot send X-API-Key: the service worker adds it to the range requests.
    await page.locator(`li[data-job-id="${jobId}"] a.id`).click();
    await showFrame(page, 0);
    const { hits, samples } = await edgeMatches(page, [600, 300, 1200, 900], DETECTION_RGB);
    expect(hits).toBeGreaterThanOrEqual(samples - 1);
    await page.context().close();
  });
});
