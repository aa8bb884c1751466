import { localRedis } from '@citadel/testing';
import { MemoryLoginLock, RedisLoginLock, type LoginLock } from './login-lock.js';

const until = async (what: string, done: () => Promise<boolean>, deadlineMs = 5_000) => {
  const deadline = Date.now() + deadlineMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
};

/** What every lock store must do; `ttlMs` is short so expiry can be watched. */
function behavesAsALoginLock(make: (ttlMs: number) => LoginLock) {
  it('holds one attempt per key; the release frees it, other keys are independent', async () => {
    const lock = make(10_000);
    const release = await lock.acquire('account:a');
    expect(release).toBeDefined();
    expect(await lock.acquire('account:a')).toBeUndefined();
    expect(await lock.acquire('account:b')).toBeDefined();
    await release!();
    expect(await lock.acquire('account:a')).toBeDefined();
  });

  it('a holder that never releases (a crashed replica) loses the lock after its TTL', async () => {
    const lock = make(50);
    expect(await lock.acquire('account:c')).toBeDefined();
    await until('the lock to expire', async () => (await lock.acquire('account:c')) !== undefined);
  });

  it('a late release never frees a lock someone else took since', async () => {
    const lock = make(50);
    const stale = await lock.acquire('account:d');
    let fresh: Awaited<ReturnType<LoginLock['acquire']>>;
    await until(
      'the lock to expire',
      async () => (fresh = await lock.acquire('account:d')) !== undefined,
    );
    await stale!();
    expect(await lock.acquire('account:d')).toBeUndefined();
    await fresh!();
  });
}

describe('MemoryLoginLock', () => {
  behavesAsALoginLock((ttlMs) => new MemoryLoginLock(ttlMs));
});

const redis = await localRedis('the RedisLoginLock specs');

(redis ? describe : describe.skip)('RedisLoginLock', () => {
  const prefix = `login-lock-spec-${process.pid}-${Date.now()}`;
  afterAll(() => redis?.disconnect());
  behavesAsALoginLock((ttlMs) => new RedisLoginLock(redis!, prefix, ttlMs));
});
