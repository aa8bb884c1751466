import { HttpException, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { counter } from '../edge/counter-store.js';

export interface LoginThrottleSettings {
  /** Failed logins one account may have in the window before every login to it is refused. */
  maxFailuresPerAccount: number;
  /** Failed logins one client address may have in the window (credential stuffing). */
  maxFailuresPerIp: number;
  windowSeconds: number;
  /** Counter namespace (in Redis: several Citadels may share one). */
  keyPrefix?: string;
}

/**
 * Brute-force protection for `POST /v1/auth/login` (seed 002, 004), built on
 * rate-limiter-flexible's documented login recipe: only failures are counted, per account
 * and per client address. Once either is spent, logins are refused with 429 and a
 * `Retry-After` until the window passes; the account's count clears on a good login.
 * The account limit holds whatever address the attempts come from.
 */
@Injectable()
export class LoginThrottle {
  private readonly perAccount: RateLimiterAbstract;
  private readonly perIp: RateLimiterAbstract;

  /** With `redis`, every gateway replica counts the same failures (see RateLimits). */
  constructor(settings: LoginThrottleSettings, redis?: Redis) {
    this.perAccount = counter(
      {
        namespace: settings.keyPrefix,
        name: 'login-fail-account',
        points: settings.maxFailuresPerAccount,
        windowSeconds: settings.windowSeconds,
      },
      redis,
    );
    this.perIp = counter(
      {
        namespace: settings.keyPrefix,
        name: 'login-fail-ip',
        points: settings.maxFailuresPerIp,
        windowSeconds: settings.windowSeconds,
      },
      redis,
    );
  }

  /**
   * Refuses (429) a login whose account or address has used up its failures, and slows
   * the ones before that: from the second failure for an account on, each further attempt
   * waits 250 ms, 500 ms, 1 s ... (at most 2 s) before it is even checked.
   */
  async assertAllowed(email: string, ip: string): Promise<void> {
    const [account, address] = await Promise.all([
      this.perAccount.get(accountKey(email)),
      this.perIp.get(ip),
    ]);
    const spent = [
      [account, this.perAccount.points],
      [address, this.perIp.points],
    ] as const;
    // (get() resolves null for a key never seen.)
    const blocked = spent
      .filter(([state, points]) => state && state.consumedPoints >= points)
      .map(([state]) => (state as RateLimiterRes).msBeforeNext);
    if (blocked.length > 0) throw tooManyAttempts(Math.max(...blocked));
    const failures = account?.consumedPoints ?? 0;
    if (failures >= 2) await sleep(Math.min(250 * 2 ** (failures - 2), MAX_SLOWDOWN_MS));
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    await Promise.all([this.perAccount.penalty(accountKey(email), 1), this.perIp.penalty(ip, 1)]);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.perAccount.delete(accountKey(email));
  }
}

const accountKey = (email: string) => email.trim().toLowerCase();
const MAX_SLOWDOWN_MS = 2_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function tooManyAttempts(msBeforeNext: number): HttpException {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new HttpException(
    { message: `too many failed logins; try again in ${seconds} s`, retryAfterSeconds: seconds },
    429,
  );
}
