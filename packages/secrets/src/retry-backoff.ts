/**
 * How long to wait before retrying a call to Vault that failed: capped exponential backoff
 * with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015). The
 * n-th consecutive failure waits a uniformly random time in [0, min(cap, base · 2ⁿ)).
 *
 * Why each part: the exponent stops a refused credential (a spent secret_id answers 400
 * forever) or a struggling Vault from being hammered, and keeps Vault's audit log from
 * filling with the same refusal; the jitter spreads the retries of every replica that
 * failed at the same moment (a Vault restart), so they do not come back in waves; the cap
 * bounds how long a Vault that has recovered waits to be noticed.
 */
export interface BackoffPolicy {
  /** The first retry's window, in ms. */
  baseMs: number;
  /** The largest window, in ms. */
  capMs: number;
  /** A uniform random number in [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

/** The delay before retry number `attempt` (0 for the first retry after a failure). */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const window = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  return Math.floor((policy.random ?? Math.random)() * window);
}

/** The consecutive failures of one retry loop: each `next()` is the following delay. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly policy: BackoffPolicy) {}

  next(): number {
    return backoffDelay(this.attempt++, this.policy);
  }

  /** After a success: the next failure starts again from the base window. */
  reset(): void {
    this.attempt = 0;
  }
}
