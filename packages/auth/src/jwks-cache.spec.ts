import { JwksCache } from './jwks-cache.js';

describe('JWKS cache', () => {
  it('never caches an empty key set and retries while auth is not up', async () => {
    let calls = 0;
    const cache = new JwksCache(
      async () => {
        calls++;
        if (calls < 3) throw new Error('UNAVAILABLE');
        return [];
      },
      { retries: 3, backoffMs: 1 },
    );
    await expect(cache.refresh()).rejects.toThrow(/empty key set/);
    expect(calls).toBe(4);
    expect(cache.size).toBe(0);
  });
});
