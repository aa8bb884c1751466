import { importJWK, type CryptoKey, type JWK } from 'jose';
import { INTERNAL_JWT_ALG, InvalidInternalJwt, type KeyResolver } from './internal-jwt.js';

export interface JwksCacheOptions {
  /** An unknown `kid` triggers at most one refresh per interval: forged kids cannot flood auth. */
  minRefreshIntervalMs?: number;
  /** Retries when auth is not reachable yet, with exponential backoff from `backoffMs`. */
  retries?: number;
  backoffMs?: number;
  onRefreshError?: (error: unknown) => void;
}

/**
 * The public keys that verify internal JWTs, fetched from auth and kept in memory so
 * verification needs no call to auth. An unknown `kid` (a key rotated in) refreshes the
 * set, rate-limited. An empty key set is never cached.
 */
export class JwksCache {
  private keys = new Map<string, CryptoKey>();
  private lastRefresh = 0;
  private inflight: Promise<void> | undefined;
  private pendingWindow: Promise<void> | undefined;
  private readonly options: Required<Omit<JwksCacheOptions, 'onRefreshError'>> & JwksCacheOptions;

  constructor(
    private readonly fetchJwks: () => Promise<JWK[]>,
    options: JwksCacheOptions = {},
  ) {
    this.options = { minRefreshIntervalMs: 5_000, retries: 6, backoffMs: 100, ...options };
  }

  get size(): number {
    return this.keys.size;
  }

  readonly resolveKey: KeyResolver = async (header) => {
    const kid = header.kid;
    if (!kid) throw new InvalidInternalJwt('token has no kid');
    const known = this.keys.get(kid);
    if (known) return known;
    await this.refreshForUnknownKid();
    const refreshed = this.keys.get(kid);
    if (!refreshed) throw new InvalidInternalJwt(`unknown kid ${kid}`);
    return refreshed;
  };

  /**
   * A kid we do not hold: a key rotated in, or a forgery. The set is fetched at most once
   * per window; inside the window the request waits for the next fetch instead of
   * failing, so a rotation that lands just after a refresh costs latency, never a 401.
   * All waiters share one fetch, so forged kids cannot make auth busier.
   */
  private async refreshForUnknownKid(): Promise<void> {
    const wait = this.lastRefresh + this.options.minRefreshIntervalMs - Date.now();
    if (wait > 0 && this.keys.size > 0) {
      this.pendingWindow ??= new Promise<void>((resolve) =>
        setTimeout(resolve, wait).unref(),
      ).finally(() => (this.pendingWindow = undefined));
      await this.pendingWindow;
    }
    // Forced: the window has passed by the timer's clock, but `Date.now()` can still be a
    // millisecond short of it, and an unforced refresh would then skip the fetch (and
    // refuse a key rotated in). Waiters that arrive together still share one fetch.
    await this.refresh(true);
  }

  /** Fetches the key set unless it was fetched within the rate-limit window. */
  refresh(force = false): Promise<void> {
    const fresh = Date.now() - this.lastRefresh < this.options.minRefreshIntervalMs;
    if (!force && fresh && this.keys.size > 0) return Promise.resolve();
    this.inflight ??= this.fetchWithRetry().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetchWithRetry(): Promise<void> {
    let delay = this.options.backoffMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const jwks = await this.fetchJwks();
        const keys = new Map<string, CryptoKey>();
        for (const jwk of jwks) {
          // Only keys for the pinned algorithm; anything else in the set is ignored.
          if (!jwk.kid || jwk.alg !== INTERNAL_JWT_ALG) continue;
          keys.set(jwk.kid, (await importJWK(jwk, INTERNAL_JWT_ALG)) as CryptoKey);
        }
        if (keys.size === 0) throw new Error('auth returned an empty key set');
        this.keys = keys;
        this.lastRefresh = Date.now();
        return;
      } catch (error) {
        this.options.onRefreshError?.(error);
        if (attempt >= this.options.retries) {
          // Rate-limit failed refreshes too, so an outage is not hammered per request.
          if (this.keys.size > 0) this.lastRefresh = Date.now();
          throw new InvalidInternalJwt(
            `JWKS unavailable: ${error instanceof Error ? error.message : error}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 2_000);
      }
    }
  }
}
