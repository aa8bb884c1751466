// Login throttling shared through Redis: with REDIS_URL set, the per-account
// budget and the in-flight lock live in Redis (atomic consume, SET NX PX), so every gateway
// replica sees them. A concurrent attack on one account still reaches auth's password
// check at most 5 times, counted from auth's `auth.login` audit records.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { LOCAL_REDIS_URL, localRedisAvailable } from '@citadel/testing';
import { api, tokenFor } from './support/http.js';
import { bootOwnSystem } from './support/own-system.js';

const REDIS_URL = LOCAL_REDIS_URL;
const KEY_PREFIX = `citadel-e2e-login-${randomBytes(6).toString('hex')}`;

const withRedis = await localRedisAvailable('login-redis: the Redis-backed login throttle');

(withRedis ? describe : describe.skip)('logins throttled through Redis', () => {
  let own: Awaited<ReturnType<typeof bootOwnSystem>> | undefined;
  beforeAll(async () => {
    own = await bootOwnSystem({ env: { REDIS_URL, REDIS_KEY_PREFIX: KEY_PREFIX } });
  }, 120_000);
  afterAll(async () => {
    await own?.dispose();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${KEY_PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('60 logins at once for one account, in waves: at most 5 password checks', async () => {
    const email = `redis-burst-${randomBytes(6).toString('hex')}@citadel.test`;
    const statuses: number[] = [];
    for (let wave = 0; wave < 7; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          api('POST', '/v1/auth/login', {
            body: { email, password: `guess-${wave}-${i}` },
            localAddress: `127.0.0.${2 + (i % 8)}`,
          }),
        ),
      );
      statuses.push(...answers.map((answer) => answer.status));
    }
    expect(new Set(statuses)).toEqual(new Set([401, 429]));

    const audit = await api('GET', '/v1/admin/audit?service=auth&action=auth.login&limit=200', {
      token: await tokenFor('ada', true),
    });
    expect(audit.status).toBe(200);
    const checks = (audit.json as { target: string }[]).filter((record) => record.target === email);
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status === 401)).toHaveLength(checks.length);

    // The counters and the lock are Redis's, not the gateway's memory.
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.keys(`${KEY_PREFIX}:login-fail-account*`)).not.toHaveLength(0);
    } finally {
      redis.disconnect();
    }
  }, 90_000);
});
