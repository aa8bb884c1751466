import argon2, { type HashOptions } from 'argon2';
import { Busy } from '@citadel/transport';

/**
 * Too many password checks are running and waiting: the caller should come back later. A
 * flood of logins is turned away unrun so token exchange keeps its share of the machine
 * (RESOURCE_EXHAUSTED: the gateway answers 503 with Retry-After, counting nothing).
 */
export class PasswordChecksBusy extends Busy {
  constructor() {
    super('too many logins in progress');
  }
}

/**
 * Nobody waits for this check any more (its signal aborted before it started): it left the
 * queue unrun, nothing was checked. `cause` is the signal's reason.
 */
export class PasswordCheckAbandoned extends Error {
  override name = 'PasswordCheckAbandoned';
}

const abandoned = (signal: AbortSignal | undefined) =>
  new PasswordCheckAbandoned('nobody waits for this password check', { cause: signal?.reason });

export interface PasswordWorkBounds {
  /** argon2 computations running at once. */
  running: number;
  /** Computations allowed to wait for a free slot; past that, {@link PasswordChecksBusy}. */
  waiting: number;
}

export interface PasswordCheckOptions {
  /**
   * Aborts when nobody waits for the answer any more (the caller left, its deadline passed).
   * A check still waiting then leaves the queue without running; a running one finishes.
   */
  signal?: AbortSignal;
}

/**
 * Two running, sixteen waiting: argon2 runs on libuv's thread pool (4 threads unless
 * UV_THREADPOOL_SIZE says otherwise), which webcrypto signing, file and DNS work share.
 * With at most half the pool hashing, a flood of logins cannot starve token exchange,
 * and the wait stays under a second (16 / 2 × ~60 ms per check).
 */
export const DEFAULT_PASSWORD_WORK: PasswordWorkBounds = { running: 2, waiting: 16 };

/**
 * argon2id with the OWASP baseline (m=19 MiB, t=2, p=1). Verification of an unknown
 * user still hashes against a dummy so both failures take the same time and an
 * attacker cannot enumerate accounts by timing.
 *
 * Each computation costs 19 MiB and tens of milliseconds of a thread, so the work is
 * bounded (OWASP ASVS V2.2, resource exhaustion): a handful run at once, a bounded number
 * wait, and the rest are refused at once with {@link PasswordChecksBusy} instead of
 * queueing without end.
 */
export class PasswordHasher {
  private static readonly OPTIONS: HashOptions & { raw?: false } = {
    type: argon2.argon2id,
    memoryCost: 19_456,
    timeCost: 2,
    parallelism: 1,
  };
  private dummyHash: Promise<string> | undefined;
  private running = 0;
  /**
   * The checks waiting for a slot, oldest first: each entry starts its check. Only live
   * waiters are here. Threat: logins fired and dropped (an attacker's, or callers whose
   * deadline passed on a busy machine). Were their checks kept, the queue would stay full
   * of work nobody waits for: argon2 would run for nobody, real logins behind it would be
   * turned away as busy, and the gateway's per-account lock, freed when its call ended,
   * would let the same account queue yet another check. So an entry whose signal aborts
   * leaves at once, frees its place for the next caller, and never runs.
   */
  private readonly waiting = new Set<() => void>();

  constructor(private readonly bounds: PasswordWorkBounds = DEFAULT_PASSWORD_WORK) {}

  hash(password: string): Promise<string> {
    return this.bounded(() => argon2.hash(password, PasswordHasher.OPTIONS));
  }

  /**
   * Throws {@link PasswordChecksBusy} when the work queue is full, and
   * {@link PasswordCheckAbandoned} when `signal` aborted before the check started; in
   * both cases nothing was checked.
   */
  async verify(
    hash: string | undefined,
    password: string,
    { signal }: PasswordCheckOptions = {},
  ): Promise<boolean> {
    // Outside the bound, once: a refused first call must not leave a rejected dummy behind.
    this.dummyHash ??= argon2.hash('citadel-dummy-password-for-timing', PasswordHasher.OPTIONS);
    const target = hash ?? (await this.dummyHash);
    const ok = await this.bounded(() => argon2.verify(target, password).catch(() => false), signal);
    return ok && hash !== undefined;
  }

  private async bounded<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw abandoned(signal);
    if (this.running < this.bounds.running) {
      this.running++;
    } else {
      if (this.waiting.size >= this.bounds.waiting) throw new PasswordChecksBusy();
      // The finishing computation hands its slot over: `running` stays as it is.
      await this.slotHandedOver(signal);
    }
    try {
      // Aborted between the hand-over and now: the slot goes on to the next waiter.
      if (signal?.aborted) throw abandoned(signal);
      return await work();
    } finally {
      const [next] = this.waiting;
      if (next) {
        this.waiting.delete(next);
        next();
      } else {
        this.running--;
      }
    }
  }

  /** Resolves holding a slot; rejects, out of the queue and holding none, if `signal` aborts. */
  private slotHandedOver(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        this.waiting.delete(start);
        reject(abandoned(signal));
      };
      const start = () => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      this.waiting.add(start);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }
}
