import type { CredentialKey } from './credential-key.js';

/**
 * What stops being good at once, everywhere: one credential (logout), every credential of
 * a user (account deleted, password or role changed), or one API key (revoked). Auth has
 * the truth already when a revocation is published; what is revoked here is the gateway's
 * exchange cache, which would otherwise keep handing out an internal JWT for up to ~45 s.
 */
export type Revocation = { credential: CredentialKey } | { userId: string } | { apiKeyId: string };

/** What a replica does with the feed: drop what was revoked, or everything after a gap. */
export interface RevocationListener {
  revoke(revocation: Revocation): void;
  /** Revocations may have been missed (the feed was down): trust no cached exchange. */
  flush(): void;
}

/**
 * The revocation fan-out between gateway replicas (port). `publish` resolves once every
 * replica that is listening has been told (this one at once), so the revoking replica
 * answers its client only after that. `trusted` says whether this replica would hear every
 * revocation published now; while it is false, the exchange cache must not be used.
 *
 * In this process (`InProcessRevocations`, one replica, no Redis) or through Redis
 * (`RedisRevocations`, revocation-redis.ts), chosen by `REDIS_URL` like the counters.
 */
export interface RevocationFeed {
  readonly trusted: boolean;
  publish(revocation: Revocation): Promise<void>;
  listen(listener: RevocationListener): void;
  close(): Promise<void>;
}

/**
 * Waits, at start and for `timeoutMs` at most, until the feed would hear a revocation
 * published now. A replica that answered before that would cache exchanges it must then
 * flush (it may have missed revocations while it subscribed), so the gateway listens only
 * once its feed is live; past the wait it listens anyway, with the cache off until then.
 */
export async function feedLive(feed: RevocationFeed, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!feed.trusted) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** Injection token of the feed (TokenExchange falls back to the in-process one). */
export const REVOCATION_FEED = Symbol('REVOCATION_FEED');

/** One gateway process: a revocation reaches its only listener before `publish` returns. */
export class InProcessRevocations implements RevocationFeed {
  readonly trusted = true;
  private readonly listeners: RevocationListener[] = [];

  publish(revocation: Revocation): Promise<void> {
    for (const listener of this.listeners) listener.revoke(revocation);
    return Promise.resolve();
  }

  listen(listener: RevocationListener): void {
    this.listeners.push(listener);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
