// The gateway holds under floods. Limits per verified access token or
// API key, per client address for everything else (made-up tokens included), 429 +
// Retry-After past them, and the IETF RateLimit headers on every answer. With Redis
// (127.0.0.1:6379, which .ci/run starts) the counters are shared by every gateway replica:
// a restarted gateway, like any other replica, still sees them. CORS stays closed unless
// origins are configured, and then opens to those alone.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import { Redis } from 'ioredis';
import { LOCAL_REDIS_URL, localRedisAvailable } from '@citadel/testing';
import { api, expectProblem, tokenFor, type ApiResponse } from './support/http.js';
import { bootOwnSystem, pidOf } from './support/own-system.js';
import { e2eState } from './support/state.js';

const REDIS_URL = LOCAL_REDIS_URL;
const PER_CREDENTIAL = 20;
const ANONYMOUS_PER_IP = 10;

const withRedis = await localRedisAvailable('rate-limits: the shared-counter test');
const KEY_PREFIX = `citadel-e2e-${randomBytes(6).toString('hex')}`;

/** `count` sequential calls; the statuses in order. */
async function statuses(count: number, call: () => Promise<ApiResponse>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await call()).status);
  return seen;
}

const madeUpToken = () => `cit_at_${randomBytes(32).toString('base64url')}`;

/** The `RateLimit-Policy` and `RateLimit` an answer carries, as [policy, remaining]. */
function rateLimitOf(response: ApiResponse): [string, number] {
  const policy = String(response.headers['ratelimit-policy']);
  const state = String(response.headers['ratelimit']);
  const match = /^"(\w+)";r=(\d+);t=(\d+)$/.exec(state);
  expect(match).not.toBeNull();
  const [, name, remaining, reset] = match!;
  expect(Number(reset)).toBeGreaterThan(0);
  expect(Number(reset)).toBeLessThanOrEqual(60);
  const quota = name === 'credential' ? PER_CREDENTIAL : ANONYMOUS_PER_IP;
  expect(policy).toBe(`"${name}";q=${quota};w=60`);
  return [name!, Number(remaining)];
}

/** Logs a demo user in from `localAddress` (not the default address, whose budget tests spend). */
async function loginFrom(name: string, localAddress: string): Promise<string> {
  const user = e2eState().users.find((candidate) => candidate.email.startsWith(`${name}@`))!;
  const response = await api('POST', '/v1/auth/login', {
    body: { email: user.email, password: user.password },
    localAddress,
  });
  expect(response.status).toBe(200);
  return response.json.access_token as string;
}

/** Resident and peak memory of a process, in MB, from /proc. */
function memoryOf(pid: number): { rssMb: number; hwmMb: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

/**
 * The attacker's flood: `count` requests sent at once from `localAddress`, each with a
 * fresh made-up token, over a few keep-alive connections (as a real flooder would: TLS
 * handshakes would measure the handshake, not the limiter); the statuses.
 */
async function flood(
  count: number,
  localAddress: string,
  request: { method: string; path: string; body?: string },
): Promise<number[]> {
  const agent = new https.Agent({
    ca: fs.readFileSync(e2eState().caFile),
    keepAlive: true,
    maxSockets: 8,
  });
  try {
    return await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<number>((resolve, reject) => {
            const call = https.request(
              `${e2eState().gatewayUrl}${request.path}`,
              {
                method: request.method,
                agent,
                localAddress,
                headers: {
                  authorization: `Bearer ${madeUpToken()}`,
                  ...(request.body ? { 'content-type': 'application/json' } : {}),
                },
              },
              (response) => {
                response.resume();
                response.on('end', () => resolve(response.statusCode ?? 0));
              },
            );
            call.on('error', reject);
            call.end(request.body);
          }),
      ),
    );
  } finally {
    agent.destroy();
  }
}

const count = (seen: number[], status: number) => seen.filter((s) => s === status).length;

/** The newest records of auth's audit trail that `query` matches, newest first. */
async function auditOf(query: string, admin: string): Promise<{ seq: number; action: string }[]> {
  const response = await api('GET', `/v1/admin/audit?service=auth&${query}`, {
    token: admin,
    localAddress: '127.0.0.99',
  });
  expect(response.status).toBe(200);
  return response.json;
}

/**
 * What 1,000,000 made-up tokens can make the gateway hold, at most, as measured by
 * `npm run bench` (bench/src/pre-auth-memory.ts; bench/README.md).
 */
const PRE_AUTH_HEAP_BOUND_MB = 4;
/**
 * What the gateway's resident memory may grow by for reasons other than the tokens while
 * it serves a flood: V8's young generation filling and the old one growing its limit,
 * TLS sessions and socket buffers of the flood's connections, code compiled by the JIT.
 * Measured at about 10 MB on a busy 2-core machine; the allowance is several times that.
 */
const RSS_NOISE_ALLOWANCE_MB = 60;

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

  it('limits anonymous traffic per client address, with Retry-After and RateLimit headers', async () => {
    const from = (localAddress: string) => () => api('GET', '/v1/products', { localAddress });
    const answered: ApiResponse[] = [];
    for (let i = 0; i < ANONYMOUS_PER_IP; i++) answered.push(await from('127.0.0.7')());
    expect(answered.map((response) => response.status)).toEqual(Array(ANONYMOUS_PER_IP).fill(200));
    expect(answered.map(rateLimitOf)).toEqual(
      answered.map((_, i) => ['anonymous', ANONYMOUS_PER_IP - 1 - i]),
    );
    const refused = await from('127.0.0.7')();
    expectProblem(refused, 429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(rateLimitOf(refused)).toEqual(['anonymous', 0]);
    // Another address has its own budget; the health probe is never limited.
    expect((await from('127.0.0.8')()).status).toBe(200);
    expect((await api('GET', '/healthz', { localAddress: '127.0.0.7' })).status).toBe(200);
  });

  it('limits each access token wherever it comes from; other users are unaffected', async () => {
    const alice = await tokenFor('alice');
    // The token's first request is verified by the exchange, and charged to its address:
    // only a verified credential has a budget of its own.
    expect(
      rateLimitOf(await api('GET', '/v1/me', { token: alice, localAddress: '127.0.0.10' })),
    ).toEqual(['anonymous', ANONYMOUS_PER_IP - 1]);
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
    expect((await call()).status).toBe(200); // verified, charged to its address
    expect(await statuses(PER_CREDENTIAL, call)).toEqual(Array(PER_CREDENTIAL).fill(200));
    expectProblem(await call(), 429);
  });

  it('charges `bearer`, `BEARER` and `Bearer` to one budget (RFC 7235: the scheme is case-insensitive)', async () => {
    const sam = await loginFrom('sam', '127.0.0.20');
    expect(
      rateLimitOf(await api('GET', '/v1/me', { token: sam, localAddress: '127.0.0.20' })),
    ).toEqual(['anonymous', ANONYMOUS_PER_IP - 2]);
    // Spread over addresses, so no address's own budget could be what runs out.
    const spellings = ['bearer', 'Bearer', 'BEARER', 'bEaReR'];
    const answered: ApiResponse[] = [];
    for (let i = 0; i < PER_CREDENTIAL; i++) {
      answered.push(
        await api('GET', '/v1/me', {
          headers: { authorization: `${spellings[i % spellings.length]} ${sam}` },
          localAddress: `127.0.0.${21 + (i % 4)}`,
        }),
      );
    }
    expect(answered.map((response) => response.status)).toEqual(Array(PER_CREDENTIAL).fill(200));
    expect(answered.map(rateLimitOf)).toEqual(
      answered.map((_, i) => ['credential', PER_CREDENTIAL - 1 - i]),
    );
    const refused = await api('GET', '/v1/me', {
      headers: { authorization: `bearer ${sam}` },
      localAddress: '127.0.0.25',
    });
    expectProblem(refused, 429);
    expect(rateLimitOf(refused)).toEqual(['credential', 0]);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('takes no token from the query string or the body (RFC 6750 §2.1: Authorization only)', async () => {
    const bob = await tokenFor('bob');
    const ada = await loginFrom('ada', '127.0.0.97');
    // The audit route declares query parameters (on the others, any is refused first): an
    // admin's valid token in the query string is no credential.
    const inQuery = await api('GET', `/v1/admin/audit?service=auth&limit=1&access_token=${ada}`, {
      localAddress: '127.0.0.26',
    });
    expectProblem(inQuery, 401);
    expect(rateLimitOf(inQuery)).toEqual(['anonymous', ANONYMOUS_PER_IP - 1]);
    const inBody = await api('POST', '/v1/orders', {
      body: { access_token: bob, items: [{ sku: 'CIT-MUG', quantity: 1 }] },
      localAddress: '127.0.0.26',
    });
    expectProblem(inBody, 401);
    // The failed authentication before it cost the address one request more.
    expect(rateLimitOf(inBody)).toEqual(['anonymous', ANONYMOUS_PER_IP - 3]);
    const next = await api('GET', '/v1/products', { localAddress: '127.0.0.26' });
    expect(rateLimitOf(next)).toEqual(['anonymous', ANONYMOUS_PER_IP - 5]);
  });

  it('ignores X-Forwarded-For while TRUSTED_PROXIES is unset: a forged hop buys no budget', async () => {
    const answered: ApiResponse[] = [];
    for (let i = 0; i <= ANONYMOUS_PER_IP; i++) {
      answered.push(
        await api('GET', '/v1/products', {
          headers: { 'x-forwarded-for': `198.51.100.${i + 1}` },
          localAddress: '127.0.0.27',
        }),
      );
    }
    expect(answered.map((response) => response.status)).toEqual([
      ...Array(ANONYMOUS_PER_IP).fill(200),
      429,
    ]);
    expect(answered.map(rateLimitOf)).toEqual(
      answered.map((_, i) => ['anonymous', Math.max(0, ANONYMOUS_PER_IP - 1 - i)]),
    );
  });

  it('buys no fresh budget with made-up tokens: each spends the address twice, then 429', async () => {
    const forged = () =>
      api('GET', '/v1/orders', { token: madeUpToken(), localAddress: '127.0.0.15' });
    // The request, then its failed authentication: two requests of the address's budget.
    expect(await statuses(ANONYMOUS_PER_IP / 2, forged)).toEqual(
      Array(ANONYMOUS_PER_IP / 2).fill(401),
    );
    expectProblem(await forged(), 429);
    // A session already known good is not locked out by its neighbours' failures.
    const bob = await tokenFor('bob');
    expect((await api('GET', '/v1/me', { token: bob, localAddress: '127.0.0.15' })).status).toBe(
      200,
    );
  });

  it('charges made-up tokens flooding in parallel to their addresses, login included, in bounded memory', async () => {
    const gateway = pidOf(own.system, 'gateway');
    const ada = await loginFrom('ada', '127.0.0.98');
    const orders = { method: 'GET', path: '/v1/orders' };
    const login = { method: 'POST', path: '/v1/auth/login', body: '{}' };
    // A first wave warms the gateway up (JIT, heap, TLS) on addresses of its own, so the
    // memory compared is that of a gateway that has already served such a flood.
    await Promise.all(['127.0.0.80', '127.0.0.81'].map((from) => flood(500, from, orders)));
    const before = memoryOf(gateway);
    const [newest] = await auditOf('limit=1', ada);

    const ordersFrom = ['127.0.0.50', '127.0.0.51', '127.0.0.52', '127.0.0.53', '127.0.0.54'];
    const loginAddresses = ['127.0.0.60', '127.0.0.61', '127.0.0.62'];
    const [onOrders, onLogin] = await Promise.all([
      Promise.all(ordersFrom.map((from) => flood(600, from, orders))),
      Promise.all(loginAddresses.map((from) => flood(400, from, login))),
    ]);
    const after = memoryOf(gateway);

    for (const seen of onOrders) {
      // Each address gets its anonymous budget and not one request more, whatever it
      // presents: the made-up tokens are refused (401), the rest is 429.
      expect(count(seen, 401)).toBeGreaterThan(0);
      expect(count(seen, 401)).toBeLessThanOrEqual(ANONYMOUS_PER_IP);
      expect(count(seen, 429)).toBe(seen.length - count(seen, 401));
    }
    for (const seen of onLogin) {
      // Login takes no token, but a made-up one still spends its address (400: empty body).
      expect(count(seen, 400)).toBe(ANONYMOUS_PER_IP);
      expect(count(seen, 429)).toBe(seen.length - ANONYMOUS_PER_IP);
    }
    // What reached auth: one exchange per request let through, never one per token sent.
    const exchanges = (await auditOf('action=auth.token-exchange&limit=200', ada)).filter(
      (record) => record.seq > (newest?.seq ?? 0),
    );
    expect(exchanges.length).toBeGreaterThan(0);
    expect(exchanges.length).toBeLessThanOrEqual(ordersFrom.length * ANONYMOUS_PER_IP);
    // 4,200 made-up tokens (and the warm-up's 1,000) leave no per-token state: the
    // gateway's resident memory stays within what the bench measured for a million, plus
    // an allowance for what serving any flood costs.
    const grownMb = Math.round(after.rssMb - before.rssMb);
    console.info(
      `made-up token flood: gateway RSS ${before.rssMb.toFixed(0)} → ${after.rssMb.toFixed(0)} MB ` +
        `(peak ${after.hwmMb.toFixed(0)} MB)`,
    );
    expect(grownMb).toBeLessThanOrEqual(PRE_AUTH_HEAP_BOUND_MB + RSS_NOISE_ALLOWANCE_MB);
  }, 120_000);

  it('answers CORS for the configured origin only', async () => {
    const from = (origin: string) =>
      api('GET', '/v1/products', { headers: { origin }, localAddress: '127.0.0.16' });
    const shop = await from('https://shop.example.test');
    expect(shop.headers['access-control-allow-origin']).toBe('https://shop.example.test');
    expect(shop.headers['access-control-expose-headers']).toMatch(/x-trace-id/);
    expect(shop.headers['access-control-expose-headers']).toMatch(/\bratelimit\b/);
    expect(shop.headers['access-control-expose-headers']).toMatch(/\bratelimit-policy\b/);
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
      // The new replica verifies alice's token once (charged to her address), then finds her
      // spent budget in Redis.
      const alice = await tokenFor('alice');
      await api('GET', '/v1/me', { token: alice, localAddress: '127.0.0.10' });
      expectProblem(await api('GET', '/v1/orders', { token: alice }), 429);
      expectProblem(await api('GET', '/v1/products', { localAddress: '127.0.0.7' }), 429);
    },
    60_000,
  );
});
