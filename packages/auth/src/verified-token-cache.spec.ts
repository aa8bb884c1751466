import type { InternalClaims } from './internal-jwt.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

const NOW = 1_800_000_000;
const claims = (sub: string, exp = NOW + 60) => ({ sub, exp }) as unknown as InternalClaims;

describe('VerifiedTokenCache', () => {
  it('serves a result for the exact token it was verified for, as a new string too', () => {
    const cache = new VerifiedTokenCache();
    cache.set('h.p1.sig1', claims('alice'));
    expect(cache.get(['h', 'p1', 'sig1'].join('.'), NOW)?.sub).toBe('alice');
  });

  it('serves nothing to a token that reuses a cached signature with another payload', () => {
    const cache = new VerifiedTokenCache();
    cache.set('h.alice.sig1', claims('alice'));
    expect(cache.get('h.admin.sig1', NOW)).toBeUndefined();
    expect(cache.get('x.alice.sig1', NOW)).toBeUndefined();
    expect(cache.get('h.alice.sig1', NOW)?.sub).toBe('alice');
  });

  it('never serves a result at or past the token exp, and forgets it then', () => {
    const cache = new VerifiedTokenCache();
    cache.set('h.p.sig', claims('alice', NOW + 10));
    expect(cache.get('h.p.sig', NOW + 9)?.sub).toBe('alice');
    expect(cache.get('h.p.sig', NOW + 10)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most maxEntries, evicting the oldest first', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('h.a.s1', claims('a'));
    cache.set('h.b.s2', claims('b'));
    cache.set('h.b.s2', claims('b'));
    expect(cache.size).toBe(2);
    cache.set('h.c.s3', claims('c'));
    expect(cache.size).toBe(2);
    expect(cache.get('h.a.s1', NOW)).toBeUndefined();
    expect(cache.get('h.b.s2', NOW)?.sub).toBe('b');
    expect(cache.get('h.c.s3', NOW)?.sub).toBe('c');
  });
});
