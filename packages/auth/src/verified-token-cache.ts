import type { InternalClaims } from './internal-jwt.js';

/**
 * Verification results keyed by token. One ES256 verify costs ~80 µs here, a lookup
 * ~1 µs. Bounded (oldest entry evicted first) and an entry is never served at or past
 * the token's `exp`.
 *
 * A result is only ever served for the exact token string it was verified for. The
 * entries are found by the token's signature segment (86 characters for ES256), then the
 * whole token is compared. Each call's token is a new string of ~700 characters, and a
 * `Map` keyed by it would hash all of it on every lookup: about 1% of a service's CPU per
 * call under load, against a compare that stops at the first difference.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { token: string; claims: InternalClaims }>();

  constructor(private readonly maxEntries = 10_000) {}

  get(token: string, nowSeconds = Date.now() / 1000): InternalClaims | undefined {
    const signature = signatureOf(token);
    const entry = this.entries.get(signature);
    if (!entry || entry.token !== token) return undefined;
    if (entry.claims.exp <= nowSeconds) {
      this.entries.delete(signature);
      return undefined;
    }
    return entry.claims;
  }

  set(token: string, claims: InternalClaims): void {
    const signature = signatureOf(token);
    if (this.entries.size >= this.maxEntries && !this.entries.has(signature)) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(signature, { token, claims });
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A compact JWS's third segment (the whole string if it has no dot). */
function signatureOf(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1);
}
