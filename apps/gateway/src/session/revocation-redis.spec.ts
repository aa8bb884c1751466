// The Redis revocation feed against the real Redis (127.0.0.1:6379; skipped with a message
// when there is none). A replica's connections go through a TCP proxy the test controls,
// so Redis "goes away" for that replica only: the machine's Redis is never stopped.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { localRedisAvailable } from '@citadel/testing';
import type { AuthClient } from '../downstream.js';
import { credentialKey } from './credential-key.js';
import { RedisRevocations } from './revocation-redis.js';
import { feedLive } from './revocation.js';
import { TokenExchange } from './token-exchange.js';

const REDIS_PORT = 6379;
const REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}`;

const withRedis = await localRedisAvailable('revocation-redis: the Redis revocation feed');

/** Polls `condition` until it holds; fails after `deadlineMs` (sized for a busy machine). */
async function until(condition: () => boolean, deadlineMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > deadlineMs) throw new Error(`not ${what} after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

/** An auth that verifies every token and counts the exchanges it made. */
function countingAuth() {
  const calls: string[] = [];
  const client = {
    rpc: {
      exchangeToken: (request: { access_token: string }) => {
        calls.push(request.access_token);
        return Promise.resolve({
          jwt: `jwt-${calls.length}`,
          expires_at: Math.floor(Date.now() / 1000) + 60,
          user_id: 'u1',
          email: 'a@b.c',
          role: 'customer',
        });
      },
    },
  } as unknown as AuthClient;
  return { client, calls };
}

/** A TCP proxy to Redis: `drop` swallows every byte (a silent partition), `cut` resets. */
async function redisProxy() {
  const sockets = new Set<net.Socket>();
  let mode: 'pass' | 'drop' = 'pass';
  const server = net.createServer((client) => {
    const upstream = net.connect(REDIS_PORT, '127.0.0.1');
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk) => {
        if (mode === 'pass') to.write(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    drop: () => void (mode = 'drop'),
    heal: () => {
      mode = 'pass';
      for (const socket of sockets) socket.destroy();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

(withRedis ? describe : describe.skip)('RedisRevocations', () => {
  const channel = `citadel-test-${randomBytes(6).toString('hex')}:revocations`;
  const opened: { close(): unknown }[] = [];
  const open = <T extends { close(): unknown }>(thing: T): T => {
    opened.push(thing);
    return thing;
  };
  const replica = (url: string) => {
    const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    open({ close: () => redis.disconnect() });
    const feed = open(new RedisRevocations(redis, { channel }));
    const auth = countingAuth();
    return { feed, auth, exchange: new TokenExchange(auth.client, feed) };
  };
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close();
  });

  it('a fresh replica waits until its feed is live, so what it caches then is kept', async () => {
    const a = replica(REDIS_URL);
    expect(a.feed.trusted).toBe(false);
    expect(await feedLive(a.feed, 10_000)).toBe(true);
    const key = credentialKey('t0');
    await a.exchange.exchange('t0', 'order');
    // The heartbeats that follow are no gap: nothing is flushed.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(a.exchange.isKnown(key)).toBe(true);
    await a.exchange.exchange('t0', 'order');
    expect(a.auth.calls).toHaveLength(1);
  });

  it('a replica that never hears its channel is not live, and says so in time', async () => {
    const silent = { trusted: false } as RedisRevocations;
    const started = Date.now();
    expect(await feedLive(silent, 100)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('a revocation published by one replica empties the cache of another within 1 s', async () => {
    const a = replica(REDIS_URL);
    const b = replica(REDIS_URL);
    await until(() => a.feed.trusted && b.feed.trusted, 10_000, 'trusted');
    const key = credentialKey('t1');
    await b.exchange.exchange('t1', 'order');
    await b.exchange.exchange('t1', 'order');
    expect(b.auth.calls).toHaveLength(1); // cached on B
    expect(b.exchange.isKnown(key)).toBe(true);

    await a.exchange.revoke({ credential: key });
    const answeredAt = Date.now();
    await until(() => !b.exchange.isKnown(key), 1_000, 'evicted on B');
    expect(Date.now() - answeredAt).toBeLessThanOrEqual(1_000);
    await b.exchange.exchange('t1', 'order');
    expect(b.auth.calls).toHaveLength(2);
  });

  it('Redis unreachable: the replica stops using its cache; back: it flushes what it cached before', async () => {
    const proxy = open(await redisProxy());
    const other = replica(REDIS_URL);
    const cutOff = replica(proxy.url);
    await until(() => other.feed.trusted && cutOff.feed.trusted, 10_000, 'trusted');
    const key = credentialKey('t1');
    await cutOff.exchange.exchange('t1', 'order');
    await cutOff.exchange.exchange('t1', 'order');
    expect(cutOff.auth.calls).toHaveLength(1);

    // A silent partition (no TCP error): noticed from the missing heartbeats, within 1 s.
    proxy.drop();
    const droppedAt = Date.now();
    await until(() => !cutOff.feed.trusted, 3_000, 'distrusted');
    expect(Date.now() - droppedAt).toBeLessThanOrEqual(1_500);
    // Revoked elsewhere meanwhile: the message never reaches this replica.
    await other.exchange.revoke({ credential: key });
    await cutOff.exchange.exchange('t1', 'order');
    await cutOff.exchange.exchange('t1', 'order');
    expect(cutOff.auth.calls).toHaveLength(3); // each request exchanged at auth, none cached

    // The connection resets and ioredis reconnects: the first message heard flushes the
    // cache (the entry from before the gap, which was revoked meanwhile, is gone).
    proxy.heal();
    await until(() => cutOff.feed.trusted, 10_000, 'trusted again');
    expect(cutOff.exchange.isKnown(key)).toBe(false);
    await cutOff.exchange.exchange('t1', 'order');
    expect(cutOff.auth.calls).toHaveLength(4);
    await cutOff.exchange.exchange('t1', 'order');
    expect(cutOff.auth.calls).toHaveLength(4); // and caches again
  });
});
