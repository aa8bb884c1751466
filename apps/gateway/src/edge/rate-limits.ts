import { HttpException } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import {
  credentialKey,
  type CredentialKey,
  type PresentedCredential,
} from '../session/credential-key.js';
import { counter } from './counter-store.js';

export interface RateLimitSettings {
  /** Requests one access token or API key may make per window, from anywhere. */
  perCredential: number;
  /** Requests one client address may make per window without a (valid) credential. */
  anonymousPerIp: number;
  windowSeconds: number;
  /** Counter namespace (in Redis: several Citadels may share one). */
  keyPrefix?: string;
}

/** What the limiter needs from the exchange: whether a credential is already known good. */
export interface KnownCredentials {
  isKnown(key: CredentialKey): boolean;
}

const CREDENTIAL = /^Bearer (cit_(?:at|ak)_[A-Za-z0-9_-]{43})$/;

/**
 * Flood protection at the edge (seeds 002, 004), on rate-limiter-flexible: fixed windows
 * per access token or API key for signed-in traffic, per client address for anonymous
 * traffic. A failed authentication counts as anonymous traffic of its address, and an
 * address that has spent its anonymous budget cannot present new credentials either, so
 * minting random tokens buys no fresh buckets; sessions already known good keep working.
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
   * Spends one request of the caller's budget, or throws a 429 with `Retry-After`.
   * `authorization` is the raw header; anything that is not a Citadel credential counts
   * as anonymous. Returns the credential it charged, with its key, so the request's
   * authentication need not hash it again.
   */
  async consume(
    authorization: string | undefined,
    ip: string,
    known: KnownCredentials,
  ): Promise<PresentedCredential | undefined> {
    const credential = authorization ? CREDENTIAL.exec(authorization)?.[1] : undefined;
    try {
      if (!credential) {
        await this.anonymous.consume(ip);
        return undefined;
      }
      const key = credentialKey(credential);
      if (!known.isKnown(key)) {
        const spent = await this.anonymous.get(ip);
        if (spent && spent.consumedPoints >= this.settings.anonymousPerIp) throw spent;
      }
      await this.perCredential.consume(key);
      return { credential, key };
    } catch (error) {
      if (error instanceof RateLimiterRes) throw tooManyRequests(error.msBeforeNext);
      throw error;
    }
  }

  /** A credential that failed to authenticate: charged to its address's anonymous budget. */
  async chargeFailedAuthentication(ip: string): Promise<void> {
    await this.anonymous.penalty(ip, 1).catch(() => undefined);
  }
}

function tooManyRequests(msBeforeNext: number): HttpException {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new HttpException(
    { message: `rate limit exceeded; try again in ${seconds} s`, retryAfterSeconds: seconds },
    429,
  );
}
