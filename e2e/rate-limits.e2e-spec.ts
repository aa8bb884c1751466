// Seeds 002 and 004: the gateway holds under floods. Limits per access token or API key,
// per client address for anonymous traffic, 429 + Retry-After past them. With Redis
// (127.0.0.1:6379, which .ci/run starts) the counters are shared by every gateway replica:
// a restarted gateway, like any other replica, still sees them. CORS stays closed unless
// origins are configured, and then opens to those alone.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { api, expectProblem, tokenFor, type ApiResponse } from './support/http.js';
import { bootOwnSystem } from './support/own-system.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const PER_CREDENTIAL = 20;
const ANONYMOUS_PER_IP = 10;

async function redisAvailable(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

const withRedis = await redisAvailable();
if (!withRedis) {
  console.warn(
    'rate-limits: no Redis on 127.0.0.1:6379; running on in-process counters and skipping ' +
      'the shared-counter test. .ci/run starts Redis; locally, start redis-server to run it.',
  );
}
const KEY_PREFIX = `citadel-e2e-${randomBytes(6).toString('hex')}`;

/** `count` sequential calls; the statuses in order. */
async function statuses(count: number, call: () => Promise<ApiResponse>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await call()).status);
  return seen;
}

describe('rate limits at the gateway', () => {
  let own: Awaited<ReturnType<typeof bootOwnSystem>>;
  beforeAll(async () => {
    own = await bootOwnSystem({
      env: {
        GATEWAY_RATE_LIMIT_PER_CREDENTIAL: String(PER_CREDENTIAL),
        GATEWAY_RATE_LIMIT_ANONYMOUS_PER_IP: String(ANONYMOUS_PER_IP),
        GATEWAY_RATE_LIMIT_WINDOW_SECONDS: '60',
        GATEWAY_CORS_ORIGINS: 'https://shop.example.test',
        ...(withRedis ? { REDIS_URL, REDIS_KEY_PREFIX: KEY_PREFIX } : {}),
      },
    });
  }, 90_000);
  afterAll(async () => {
    await own?.dispose();
    if (withRedis) {
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${KEY_PREFIX}:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('limits anonymous traffic per client address, with Retry-After', async () => {
    const from = (localAddress: string) => () => api('GET', '/v1/products', { localAddress });
    expect(await statuses(ANONYMOUS_PER_IP, from('127.0.0.7'))).toEqual(
      Array(ANONYMOUS_PER_IP).fill(200),
    );
    const refused = await from('127.0.0.7')();
    expectProblem(refused, 429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Another address has its own budget; the health probe is never limited.
    expect((await from('127.0.0.8')()).status).toBe(200);
    expect((await api('GET', '/healthz', { localAddress: '127.0.0.7' })).status).toBe(200);
  });

  it('limits each access token wherever it comes from; other users are unaffected', async () => {
    const alice = await tokenFor('alice');
    const orders = (localAddress: string) => () =>
      api('GET', '/v1/orders', { token: alice, localAddress });
    const seen = [
      ...(await statuses(PER_CREDENTIAL / 2, orders('127.0.0.11'))),
      ...(await statuses(PER_CREDENTIAL / 2, orders('127.0.0.12'))),
    ];
    expect(seen).toEqual(Array(PER_CREDENTIAL).fill(200));
    expectProblem(await orders('127.0.0.13')(), 429);
    expect((await api('GET', '/v1/orders', { token: await tokenFor('bob') })).status).toBe(200);
  });

  it('holds an API key to the same limits as a user token', async () => {
    const created = await api('POST', '/v1/api-keys', {
      token: await tokenFor('bob'),
      body: { name: 'flood', scopes: ['orders:read:own'] },
    });
    expect(created.status).toBe(201);
    const key = created.json.secret as string;
    const call = () => api('GET', '/v1/orders', { token: key, localAddress: '127.0.0.14' });
    expect(await statuses(PER_CREDENTIAL, call)).toEqual(Array(PER_CREDENTIAL).fill(200));
    expectProblem(await call(), 429);
  });

  it('buys no fresh budget with made-up tokens: failures spend the address, then 429', async () => {
    const forged = () =>
      api('GET', '/v1/orders', {
        token: `cit_at_${randomBytes(32).toString('base64url')}`,
        localAddress: '127.0.0.15',
      });
    expect(await statuses(ANONYMOUS_PER_IP, forged)).toEqual(Array(ANONYMOUS_PER_IP).fill(401));
    expectProblem(await forged(), 429);
    // A session already known good is not locked out by its neighbours' failures.
    const bob = await tokenFor('bob');
    expect((await api('GET', '/v1/me', { token: bob, localAddress: '127.0.0.15' })).status).toBe(
      200,
    );
  });

  it('answers CORS for the configured origin only', async () => {
    const from = (origin: string) =>
      api('GET', '/v1/products', { headers: { origin }, localAddress: '127.0.0.16' });
    const shop = await from('https://shop.example.test');
    expect(shop.headers['access-control-allow-origin']).toBe('https://shop.example.test');
    expect(shop.headers['access-control-expose-headers']).toMatch(/x-trace-id/);
    const evil = await from('https://evil.example.test');
    expect(evil.status).toBe(200);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });

  (withRedis ? it : it.skip)(
    'keeps the counters in Redis: a restarted gateway (any replica) still refuses',
    async () => {
      const redis = new Redis(REDIS_URL);
      try {
        expect((await redis.keys(`${KEY_PREFIX}:rl-anonymous*`)).length).toBeGreaterThan(0);
        expect((await redis.keys(`${KEY_PREFIX}:rl-credential*`)).length).toBeGreaterThan(0);
        // Keys are hashes of credentials, never the credentials themselves.
        const alice = await tokenFor('alice');
        const values = await redis.keys(`${KEY_PREFIX}:*`);
        expect(values.join(' ')).not.toContain(alice);
      } finally {
        redis.disconnect();
      }
      await own.system.stopService('gateway');
      await own.system.startService('gateway');
      expectProblem(await api('GET', '/v1/orders', { token: await tokenFor('alice') }), 429);
      expectProblem(await api('GET', '/v1/products', { localAddress: '127.0.0.7' }), 429);
    },
    60_000,
  );
});
