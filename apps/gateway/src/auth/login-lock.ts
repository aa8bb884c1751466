import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** Gives a held lock back. Never throws: a lock that cannot be released runs out. */
export type ReleaseLock = () => Promise<void>;

/**
 * At most one login attempt per key (an account, or one known device) in flight at once,
 * across every gateway replica that shares the store. `acquire` answers at once: the lock,
 * or `undefined` when another attempt holds it.
 */
export interface LoginLock {
  acquire(key: string): Promise<ReleaseLock | undefined>;
}

/** One replica's locks. Each expires after `ttlMs`, so a lost release cannot lock for good. */
export class MemoryLoginLock implements LoginLock {
  private readonly held = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly ttlMs: number) {}

  acquire(key: string): Promise<ReleaseLock | undefined> {
    const now = Date.now();
    const holder = this.held.get(key);
    if (holder && holder.expiresAt > now) return Promise.resolve(undefined);
    const token = randomUUID();
    this.held.set(key, { token, expiresAt: now + this.ttlMs });
    return Promise.resolve(async () => {
      if (this.held.get(key)?.token === token) this.held.delete(key);
    });
  }
}

/** Deletes the key only if it still holds our token: never another attempt's lock. */
const RELEASE_IF_OURS = `if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0`;

/**
 * The lock shared by every replica: `SET key token NX PX ttl` (atomic in Redis), released
 * by a compare-and-delete script. The TTL frees the lock of a replica that crashed
 * mid-attempt. If Redis fails, this replica falls back to its own memory lock, as the
 * counters fall back to their insurance limiter: neither failing open nor locking everyone.
 */
export class RedisLoginLock implements LoginLock {
  private readonly fallback: MemoryLoginLock;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly ttlMs: number,
  ) {
    this.fallback = new MemoryLoginLock(ttlMs);
  }

  async acquire(key: string): Promise<ReleaseLock | undefined> {
    const redisKey = `${this.keyPrefix}:${key}`;
    const token = randomUUID();
    let reply: string | null;
    try {
      reply = await this.redis.set(redisKey, token, 'PX', this.ttlMs, 'NX');
    } catch {
      return this.fallback.acquire(key);
    }
    if (reply !== 'OK') return undefined;
    return async () => {
      await this.redis.eval(RELEASE_IF_OURS, 1, redisKey, token).catch(() => undefined);
    };
  }
}
