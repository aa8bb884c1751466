import argon2, { type HashOptions } from 'argon2';

/** Too many password checks are running and waiting: the caller should come back later. */
export class PasswordChecksBusy extends Error {
  override name = 'PasswordChecksBusy';
}

export interface PasswordWorkBounds {
  /** argon2 computations running at once. */
  running: number;
  /** Computations allowed to wait for a free slot; past that, {@link PasswordChecksBusy}. */
  waiting: number;
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
  private readonly queue: (() => void)[] = [];

  constructor(private readonly bounds: PasswordWorkBounds = DEFAULT_PASSWORD_WORK) {}

  hash(password: string): Promise<string> {
    return this.bounded(() => argon2.hash(password, PasswordHasher.OPTIONS));
  }

  /** Throws {@link PasswordChecksBusy} when the work queue is full; nothing was checked. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    // Outside the bound, once: a refused first call must not leave a rejected dummy behind.
    this.dummyHash ??= argon2.hash('citadel-dummy-password-for-timing', PasswordHasher.OPTIONS);
    const target = hash ?? (await this.dummyHash);
    const ok = await this.bounded(() => argon2.verify(target, password).catch(() => false));
    return ok && hash !== undefined;
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.running < this.bounds.running) {
      this.running++;
    } else {
      if (this.queue.length >= this.bounds.waiting) throw new PasswordChecksBusy();
      // The finishing computation hands its slot over: `running` stays as it is.
      await new Promise<void>((resolve) => this.queue.push(resolve));
    }
    try {
      return await work();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}
