/**
 * @jest-environment <rootDir>/packages/pipeline/src/test-support/onnxruntime-environment.js
 */
import { paddleModelFiles } from './paddle-model-files';
import { acquireSession } from './paddle-sessions';

describe('acquireSession', () => {
  const { detection } = paddleModelFiles();

  it('shares one session per model and thread count, and frees it with the last release', async () => {
    const a = await acquireSession(detection, 1);
    const b = await acquireSession(detection, 1);
    expect(b.session).toBe(a.session);
    await a.release();
    await a.release(); // a second release of one lease must not free the other holder's session
    const c = await acquireSession(detection, 1);
    expect(c.session).toBe(a.session);
    await b.release();
    await c.release();
    const d = await acquireSession(detection, 1);
    expect(d.session).not.toBe(a.session);
    await d.release();
  });

  it('reports a missing model and lets the next call try again', async () => {
    await expect(acquireSession('/nonexistent/model.onnx', 1)).rejects.toThrow();
    await expect(acquireSession('/nonexistent/model.onnx', 1)).rejects.toThrow();
  });
});
