import { backoffDelay, sleep } from './backoff';

describe('backoffDelay', () => {
  it('doubles from the initial interval and stays at the cap', () => {
    const delays = [0, 1, 2, 3, 4, 5, 20].map((a) => backoffDelay(a));
    expect(delays).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });

  it('follows the given initial interval, factor and cap', () => {
    const opts = { initialMs: 100, maxMs: 1000, factor: 3 };
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, opts))).toEqual([100, 300, 900, 1000]);
  });
});

describe('sleep', () => {
  it('rejects at once when its signal aborts', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = sleep(60_000, ac.signal);
    ac.abort(new Error('stop waiting'));
    await expect(p).rejects.toThrow('stop waiting');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
