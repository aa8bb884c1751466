import { Backoff, backoffDelay } from './retry-backoff.js';

describe('capped exponential backoff with full jitter', () => {
  const policy = { baseMs: 100, capMs: 1_000 };

  it('doubles the window with each failure, up to the cap', () => {
    const widest = { ...policy, random: () => 1 };
    expect([0, 1, 2, 3, 4, 5, 10, 2_000].map((n) => backoffDelay(n, widest))).toEqual([
      100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000,
    ]);
  });

  it('draws each delay uniformly from the whole window (full jitter)', () => {
    expect(backoffDelay(3, { ...policy, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { ...policy, random: () => 0.25 })).toBe(200);
    const delays = Array.from({ length: 2_000 }, () => backoffDelay(4, policy));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(1_000);
    // Spread over the window, not clustered: each tenth of it is hit.
    const tenths = new Set(delays.map((delay) => Math.floor(delay / 100)));
    expect(tenths.size).toBe(10);
  });

  it('counts consecutive failures, and starts over after a success', () => {
    const backoff = new Backoff({ ...policy, random: () => 1 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([100, 200, 400]);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });
});
