import { jest } from '@jest/globals';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { JwksCache } from './jwks-cache.js';

const TOKEN = { payload: '', signature: '' };

async function publicJwk(kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair('ES256');
  return { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
}

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

  it('a key rotated in just after a refresh is found by waiting for the window, not refused', async () => {
    const published = [await publicJwk('old')];
    let fetches = 0;
    const cache = new JwksCache(
      async () => {
        fetches++;
        return [...published];
      },
      { minRefreshIntervalMs: 200 },
    );
    await cache.refresh();
    published.unshift(await publicJwk('new'));
    await expect(cache.resolveKey({ kid: 'new', alg: 'ES256' }, TOKEN)).resolves.toBeDefined();
    expect(fetches).toBe(2);
  });

  it('finds a rotated-in key when the clock reads a millisecond short of the window', async () => {
    // The window's timer can fire while Date.now() is still 199 ms past the last fetch.
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const published = [await publicJwk('old')];
      const cache = new JwksCache(async () => [...published], { minRefreshIntervalMs: 200 });
      await cache.refresh();
      published.unshift(await publicJwk('new'));
      const found = cache.resolveKey({ kid: 'new', alg: 'ES256' }, TOKEN);
      now += 199;
      await expect(found).resolves.toBeDefined();
    } finally {
      clock.mockRestore();
    }
  });

  it('forged kids share one fetch per window and are refused', async () => {
    let fetches = 0;
    const cache = new JwksCache(
      async () => {
        fetches++;
        return [await publicJwk('real')];
      },
      { minRefreshIntervalMs: 200 },
    );
    await cache.refresh();
    const forged = Array.from({ length: 50 }, (_, i) =>
      cache.resolveKey({ kid: `forged-${i}`, alg: 'ES256' }, TOKEN),
    );
    for (const attempt of forged) await expect(attempt).rejects.toThrow(/unknown kid/);
    expect(fetches).toBe(2);
  });
});
