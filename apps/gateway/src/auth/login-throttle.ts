import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { counter } from '../edge/counter-store.js';
import { MemoryLoginLock, RedisLoginLock, type LoginLock, type ReleaseLock } from './login-lock.js';

export interface LoginThrottleSettings {
  /** Password checks one account may fail in the window, for clients it does not know. */
  maxFailuresPerAccount: number;
  /** Password checks one client address (IPv6: its /64) may fail in the window. */
  maxFailuresPerIp: number;
  /** Password checks one known device (device cookie) may fail in the window; default: as an account. */
  maxFailuresPerDevice?: number;
  windowSeconds: number;
  /** How long an admitted attempt waits for the account's login in flight to end. */
  lockWaitMs?: number;
  /** Counter namespace (in Redis: several Citadels may share one). */
  keyPrefix?: string;
}

/** One login attempt, as the edge sees it before anything is checked. */
export interface LoginAttempt {
  /** The account, as the client typed it. */
  email: string;
  /** The client address's bucket: `clientBucket(request.ip)`. */
  address: string;
  /** The id of a verified device token bound to this account, if the client sent one. */
  device?: string;
}

/** How the password check ended: `unchecked` when auth turned it away before checking. */
export type LoginOutcome = 'ok' | 'failed' | 'unchecked';

/** An admitted attempt: settle it exactly once, however the check ended. */
export interface Admission {
  settle(outcome: LoginOutcome): Promise<void>;
}

/** The attempt is refused before any password is checked (answer 429 + Retry-After). */
export class LoginRefused extends Error {
  override name = 'LoginRefused';
  constructor(
    readonly reason: 'too many failures' | 'another login in flight',
    readonly retryAfterSeconds: number,
    /** False for repeats of a refusal already on record in this window. */
    readonly worthRecording: boolean,
  ) {
    super(reason);
  }
}

/**
 * Brute-force and credential-stuffing protection for `POST /v1/auth/login` (OWASP ASVS
 * V2.2; the OWASP Authentication and Credential Stuffing cheat sheets).
 *
 * Concurrent attackers: an attempt is counted before it is tried. `admit` consumes one
 * point, atomically (rate-limiter-flexible's `consume`, in memory or in Redis), from the
 * account's budget (or the known device's) and from the client address's, and takes the
 * account's in-flight lock; the point is given back when the check passed or never ran.
 * So however many attempts arrive at once, at most `maxFailuresPerAccount` password
 * checks for one account, and `maxFailuresPerIp` failed checks from one address, happen in
 * a window; the rest get 429 without reaching auth.
 *
 * Threat model:
 * - Who is trusted: a client holding a valid device cookie for this account (it logged in
 *   to it before; see device-token.ts). Everyone else is untrusted, whatever it sends:
 *   an `Authorization` header on the login route is not read at all.
 * - An attacker with many addresses gets `maxFailuresPerAccount` guesses per account per
 *   window in total, not per address; the per-address budget bounds how many accounts one
 *   address can try (credential stuffing). With many addresses and many accounts, each
 *   account still caps them at that rate: that is what the lockout is for.
 * - The lockout cannot lock the owner out: it applies to untrusted clients only. Alice,
 *   on a device she logged in from before, has her device's own budget and its own
 *   in-flight lock, which the attack on her account does not touch.
 * - A stolen device cookie buys `maxFailuresPerDevice` more guesses per window on that one
 *   account (OWASP: a device cookie that fails is locked out itself), until it expires.
 *   Stealing it needs the device or its TLS traffic: it is HttpOnly, Secure, SameSite.
 * - Every refused attempt is an `auth.login.throttled` edge denial, but only the first per
 *   account and address in a window goes on record: an attacker cannot grow the audit
 *   trail faster than its distinct (account, address) pairs.
 */
export class LoginThrottle {
  private readonly perAccount: RateLimiterAbstract;
  private readonly perAddress: RateLimiterAbstract;
  private readonly perDevice: RateLimiterAbstract;
  private readonly inFlight: LoginLock;
  private readonly refusalsOnRecord: RateLimiterAbstract;
  private readonly lockWaitMs: number;

  /** With `redis`, every gateway replica counts the same attempts and shares the locks. */
  constructor(settings: LoginThrottleSettings, redis?: Redis) {
    const budget = (name: string, points: number) =>
      counter(
        { namespace: settings.keyPrefix, name, points, windowSeconds: settings.windowSeconds },
        redis,
      );
    this.perAccount = budget('login-fail-account', settings.maxFailuresPerAccount);
    this.perAddress = budget('login-fail-ip', settings.maxFailuresPerIp);
    this.perDevice = budget(
      'login-fail-device',
      settings.maxFailuresPerDevice ?? settings.maxFailuresPerAccount,
    );
    this.inFlight = redis
      ? new RedisLoginLock(redis, `${settings.keyPrefix ?? 'citadel'}:login-lock`, LOCK_TTL_MS)
      : new MemoryLoginLock(LOCK_TTL_MS);
    this.lockWaitMs = settings.lockWaitMs ?? LOCK_WAIT_MS;
    this.refusalsOnRecord = new RateLimiterMemory({
      points: 1,
      duration: settings.windowSeconds,
    });
  }

  /**
   * Counts the attempt and takes its lock, or throws {@link LoginRefused}. From the third
   * failure of an account on, an untrusted attempt also waits 250 ms, 500 ms, 1 s ...
   * (at most 2 s) before its check, holding the lock.
   */
  async admit(attempt: LoginAttempt): Promise<Admission> {
    const account = accountKey(attempt.email);
    const budgets: Budget[] = [
      // The account (or device) first: an attempt refused there never touches the address.
      attempt.device ? [this.perDevice, attempt.device] : [this.perAccount, account],
      [this.perAddress, attempt.address],
    ];
    const spent: Budget[] = [];
    let failuresBefore = 0;
    for (const [limiter, key] of budgets) {
      try {
        const state = await limiter.consume(key, 1);
        if (limiter === this.perAccount) failuresBefore = state.consumedPoints - 1;
        spent.push([limiter, key]);
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) {
          await giveBack(spent);
          throw error;
        }
        // The refused consume counted too: given back, so the budget counts admitted
        // attempts only and a burst does not push the account past its window's 5.
        await giveBack([...spent, [limiter, key]]);
        throw await this.refuse(attempt, 'too many failures', error.msBeforeNext);
      }
    }
    const release = await this.inTurn(
      attempt.device ? `device:${attempt.device}` : `account:${account}`,
    );
    if (!release) {
      await giveBack(spent);
      throw await this.refuse(attempt, 'another login in flight', 1_000);
    }
    if (failuresBefore >= 2) {
      await sleep(Math.min(250 * 2 ** (failuresBefore - 2), MAX_SLOWDOWN_MS));
    }
    let settled = false;
    return {
      settle: async (outcome) => {
        if (settled) return;
        settled = true;
        try {
          if (outcome !== 'failed') await giveBack(spent);
        } finally {
          await release();
        }
      },
    };
  }

  /**
   * The account's (or device's) lock, once the login in flight ends: a user who signs in
   * from two tabs at once waits a moment instead of getting 429. Only admitted attempts
   * wait, and each holds a point of the budget, so at most the budget's worth of
   * attempts queue per account; past `lockWaitMs` the attempt is refused.
   */
  private async inTurn(key: string): Promise<ReleaseLock | undefined> {
    const deadline = Date.now() + this.lockWaitMs;
    for (;;) {
      const release = await this.inFlight.acquire(key);
      if (release || Date.now() >= deadline) return release;
      // Polled, with jitter, so it works the same on a replica's memory and on Redis.
      await sleep(LOCK_POLL_MS / 2 + Math.random() * LOCK_POLL_MS);
    }
  }

  private async refuse(
    attempt: LoginAttempt,
    reason: LoginRefused['reason'],
    msBeforeNext: number,
  ): Promise<LoginRefused> {
    const onRecord = await this.refusalsOnRecord
      .consume(`${accountKey(attempt.email)} ${attempt.address}`, 1)
      .then(
        () => true,
        () => false,
      );
    return new LoginRefused(reason, Math.max(1, Math.ceil(msBeforeNext / 1000)), onRecord);
  }
}

type Budget = [RateLimiterAbstract, string];

/**
 * Returns the points an attempt took. A window that ended while the attempt ran would
 * start the next one below zero, a spare guess: that is evened out at once.
 */
async function giveBack(spent: Budget[]): Promise<void> {
  await Promise.all(
    spent.map(async ([limiter, key]) => {
      const state = await limiter.reward(key, 1);
      if (state.consumedPoints < 0) await limiter.penalty(key, -state.consumedPoints);
    }),
  );
}

const accountKey = (email: string) => email.trim().toLowerCase();
const MAX_SLOWDOWN_MS = 2_000;
/** Longer than any attempt: the slowdown plus auth's Login deadline (5 s), with room. */
const LOCK_TTL_MS = 15_000;
/** Enough for the few attempts the budget admits to take their turns, slowdowns included. */
const LOCK_WAIT_MS = 8_000;
const LOCK_POLL_MS = 40;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
