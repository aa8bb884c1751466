import type { Redis } from 'ioredis';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { bearerCredential } from '../session/credential.js';
import {
  credentialKey,
  type CredentialKey,
  type PresentedCredential,
} from '../session/credential-key.js';
import { clientBucket } from './client-address.js';
import { counter } from './counter-store.js';

export interface RateLimitSettings {
  /** Requests one access token or API key may make per window, from anywhere. */
  perCredential: number;
  /** Requests one client address may make per window without a (verified) credential. */
  anonymousPerIp: number;
  windowSeconds: number;
  /** Counter namespace (in Redis: several Citadels may share one). */
  keyPrefix?: string;
}

/** What the limiter needs from the exchange: whether a credential is already verified. */
export interface KnownCredentials {
  isKnown(key: CredentialKey): boolean;
}

/** The budget a request was charged to; the names the `RateLimit` headers carry. */
export type RateLimitPolicy = 'credential' | 'anonymous';

/** What charging one request did, for the answer's `RateLimit` headers. */
export interface RateLimitCharge {
  allowed: boolean;
  policy: RateLimitPolicy;
  /** The policy's quota: requests per window. */
  quota: number;
  windowSeconds: number;
  remaining: number;
  /** Seconds until the window resets (at least 1). */
  resetSeconds: number;
  /** The Citadel credential the request presented, with its key (verified or not). */
  presented: PresentedCredential | undefined;
}

/**
 * Flood protection at the edge, on rate-limiter-flexible: fixed windows
 * per access token or API key for signed-in traffic, per client address for everything
 * else. A credential gets a bucket of its own only once the exchange has verified it
 * (`isKnown`): a made-up token is anonymous traffic of its address, on every route, so
 * minting random tokens buys no fresh budget and makes the gateway hold no state per
 * token. A failed authentication costs its address one more request (see
 * `chargeFailedAuthentication`). Addresses are counted by `clientBucket` (IPv6 per /64).
 *
 * Counters live in this process by default, or in Redis (`REDIS_URL`) so every gateway
 * replica shares them; if Redis fails, each replica falls back to its own memory counters
 * (the library's insurance limiter) instead of failing open or closed.
 */
export class RateLimits {
  private readonly perCredential: RateLimiterAbstract;
  private readonly anonymous: RateLimiterAbstract;

  constructor(
    readonly settings: RateLimitSettings,
    redis?: Redis,
  ) {
    this.perCredential = counter(
      {
        namespace: settings.keyPrefix,
        name: 'rl-credential',
        points: settings.perCredential,
        windowSeconds: settings.windowSeconds,
      },
      redis,
    );
    this.anonymous = counter(
      {
        namespace: settings.keyPrefix,
        name: 'rl-anonymous',
        points: settings.anonymousPerIp,
        windowSeconds: settings.windowSeconds,
      },
      redis,
    );
  }

  /**
   * Spends one request of the caller's budget: its verified credential's, else its
   * address's. `authorization` is the raw header; `address` the client address as the
   * edge resolved it. The charge says whether the request may go on, and hands on the
   * credential it read, keyed, so the request's authentication need not hash it again.
   */
  async consume(
    authorization: string | undefined,
    address: string,
    known: KnownCredentials,
  ): Promise<RateLimitCharge> {
    const credential = bearerCredential(authorization);
    const presented = credential ? { credential, key: credentialKey(credential) } : undefined;
    return presented && known.isKnown(presented.key)
      ? this.charge(this.perCredential, presented.key, 'credential', presented)
      : this.charge(this.anonymous, clientBucket(address), 'anonymous', presented);
  }

  /** A failed authentication: one more request charged to its address's budget. */
  async chargeFailedAuthentication(address: string): Promise<void> {
    await this.anonymous.penalty(clientBucket(address), 1).catch(() => undefined);
  }

  private async charge(
    limiter: RateLimiterAbstract,
    key: string,
    policy: RateLimitPolicy,
    presented: PresentedCredential | undefined,
  ): Promise<RateLimitCharge> {
    const quota =
      policy === 'credential' ? this.settings.perCredential : this.settings.anonymousPerIp;
    let allowed = true;
    let result: RateLimiterRes;
    try {
      result = await limiter.consume(key);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      allowed = false;
      result = error;
    }
    return {
      allowed,
      policy,
      quota,
      windowSeconds: this.settings.windowSeconds,
      remaining: Math.max(0, result.remainingPoints),
      resetSeconds: Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
      presented,
    };
  }
}

/**
 * The answer's rate-limit headers (draft-ietf-httpapi-ratelimit-headers, structured
 * fields): the policy that applied, and what is left of it and for how long.
 */
export function rateLimitHeaders(
  charge: Omit<RateLimitCharge, 'presented'>,
): Record<string, string> {
  return {
    'ratelimit-policy': `"${charge.policy}";q=${charge.quota};w=${charge.windowSeconds}`,
    ratelimit: `"${charge.policy}";r=${charge.remaining};t=${charge.resetSeconds}`,
  };
}
