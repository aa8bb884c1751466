import { verifyInternalJwt, type InternalClaims } from './internal-jwt.js';
import type { JwksCache } from './jwks-cache.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** Verifies internal JWTs addressed to one service, with the result cache in front. */
export class InternalJwtVerifier {
  private readonly cache: VerifiedTokenCache;

  constructor(
    readonly audience: string,
    private readonly jwks: JwksCache,
    cacheSize = 10_000,
  ) {
    this.cache = new VerifiedTokenCache(cacheSize);
  }

  /**
   * The claims this exact token verified to before, while it is still within its `exp`:
   * the hot path's answer, without a promise. `undefined` means {@link verify} must run.
   */
  cached(token: string): InternalClaims | undefined {
    return this.cache.get(token);
  }

  async verify(token: string): Promise<InternalClaims> {
    const cached = this.cached(token);
    if (cached) return cached;
    const claims = await verifyInternalJwt(token, this.jwks.resolveKey, this.audience);
    this.cache.set(token, claims);
    return claims;
  }
}
