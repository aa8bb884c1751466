// Several gateway replicas: a revocation answered by one replica reaches every
// other one. Replica B caches a credential's exchange; the credential is revoked through
// replica A (logout, account deletion, API key revocation); B must refuse it within 1 s
// of A's answer, including under 200 concurrent requests racing the logout. Needs Redis
// (127.0.0.1:6379, the revocation feed); skipped with a message when there is none.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import https from 'node:https';
import path from 'node:path';
import { Redis } from 'ioredis';
import { LOCAL_REDIS_URL, localRedisAvailable } from '@citadel/testing';
import { REPO_ROOT } from '@citadel/config';
import { freePort, REPLICAS_NEED_REDIS } from '@citadel/launcher';
import { api, tokenFor } from './support/http.js';
import { bootOwnSystem } from './support/own-system.js';

const REDIS_URL = LOCAL_REDIS_URL;
const KEY_PREFIX = `citadel-e2e-replicas-${randomBytes(6).toString('hex')}`;
/** The promise: no replica serves a revoked credential later than this after the answer. */
const WITHIN_MS = 1_000;

const withRedis = await localRedisAvailable(
  'gateway-replicas: revocations across gateway replicas',
);

interface Answer {
  status: number;
  /** When the answer was complete (epoch ms). */
  at: number;
}

/** One HTTPS request to a given replica, trusting the system's dev CA only. */
function call(
  base: string,
  ca: Buffer,
  method: string,
  route: string,
  token: string,
  localAddress?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    https
      .request(
        `${base}${route}`,
        {
          method,
          ca,
          agent: false,
          headers: { authorization: `Bearer ${token}` },
          ...(localAddress ? { localAddress } : {}),
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode ?? 0, at: Date.now() }));
        },
      )
      .on('error', reject)
      .end();
  });
}

(withRedis ? describe : describe.skip)('revocations across gateway replicas', () => {
  let own: Awaited<ReturnType<typeof bootOwnSystem>> | undefined;
  let ca: Buffer;
  let replicaA: string;
  let replicaB: string;
  beforeAll(async () => {
    own = await bootOwnSystem({
      gatewayReplicas: 2,
      env: { REDIS_URL, REDIS_KEY_PREFIX: KEY_PREFIX },
    });
    ca = fs.readFileSync(own.system.caFile);
    const [first, second] = own.system.gatewayUrls;
    if (!first || !second) throw new Error('two gateway replicas expected');
    [replicaA, replicaB] = [first, second];
  }, 180_000);
  afterAll(async () => {
    await own?.dispose();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${KEY_PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  /**
   * Asks B with `credential`, one request after another, until B refuses it: any success
   * completed more than 1 s after `answeredAt` (the revocation's answer) fails the test.
   */
  async function expectRefusedByB(route: string, credential: string, answeredAt: number) {
    const deadline = answeredAt + 10_000;
    for (;;) {
      const answer = await call(replicaB, ca, 'GET', route, credential);
      if (answer.status === 401) return;
      expect(answer.status).toBe(200);
      expect(answer.at - answeredAt).toBeLessThanOrEqual(WITHIN_MS);
      if (answer.at > deadline) throw new Error('B never refused the revoked credential');
    }
  }

  it('two replicas, each on its own port', () => {
    expect(own!.system.gatewayUrls).toHaveLength(2);
    expect(replicaA).not.toBe(replicaB);
    expect(replicaA).toBe(own!.system.gatewayUrl);
  });

  it('logout through A: B, which cached the token, refuses it within 1 s', async () => {
    const token = await tokenFor('alice', true);
    expect((await call(replicaB, ca, 'GET', '/v1/orders', token)).status).toBe(200);
    expect((await call(replicaB, ca, 'GET', '/v1/me', token)).status).toBe(200); // cached on B
    const logout = await call(replicaA, ca, 'POST', '/v1/auth/logout', token);
    expect(logout.status).toBe(204);
    await expectRefusedByB('/v1/me', token, logout.at);
    expect((await call(replicaB, ca, 'GET', '/v1/orders', token)).status).toBe(401);
  });

  it('200 concurrent requests through B during the logout: none succeeds after the answer + 1 s', async () => {
    const token = await tokenFor('alice', true);
    expect((await call(replicaB, ca, 'GET', '/v1/me', token)).status).toBe(200); // cached on B
    const through = (i: number) =>
      call(replicaB, ca, 'GET', '/v1/me', token, `127.0.0.${2 + (i % 8)}`);
    const first = Array.from({ length: 100 }, (_, i) => through(i));
    const logout = call(replicaA, ca, 'POST', '/v1/auth/logout', token);
    const second = Array.from({ length: 100 }, (_, i) => through(100 + i));
    const [answers, loggedOut] = await Promise.all([Promise.all([...first, ...second]), logout]);
    expect(loggedOut.status).toBe(204);
    // Served (before the revocation reached B) or refused: nothing else.
    expect(answers.filter((answer) => answer.status !== 200 && answer.status !== 401)).toEqual([]);
    const lateSuccesses = answers.filter(
      (answer) => answer.status === 200 && answer.at > loggedOut.at + WITHIN_MS,
    );
    expect(lateSuccesses).toEqual([]);
    expect((await call(replicaB, ca, 'GET', '/v1/me', token)).status).toBe(401);
  });

  it('API key revoked through A: B, which cached the key, refuses it within 1 s', async () => {
    const alice = await tokenFor('alice', true);
    const created = await api('POST', '/v1/api-keys', {
      token: alice,
      body: { name: 'replicas', scopes: ['orders:read:own'], ttl_days: 1 },
    });
    expect(created.status).toBe(201);
    const { secret, id } = created.json as { secret: string; id: string };
    expect((await call(replicaB, ca, 'GET', '/v1/orders', secret)).status).toBe(200);
    expect((await call(replicaB, ca, 'GET', '/v1/me', secret)).status).toBe(200); // cached on B
    const revoked = await call(replicaA, ca, 'DELETE', `/v1/api-keys/${id}`, alice);
    expect(revoked.status).toBe(204);
    await expectRefusedByB('/v1/me', secret, revoked.at);
  });

  it('account deleted through A: B, which cached the customer’s token, refuses it within 1 s', async () => {
    const bob = await tokenFor('bob', true);
    const bobId = (await api('GET', '/v1/me', { token: bob })).json.id as string;
    expect((await call(replicaB, ca, 'GET', '/v1/orders', bob)).status).toBe(200);
    expect((await call(replicaB, ca, 'GET', '/v1/me', bob)).status).toBe(200); // cached on B
    const ada = await tokenFor('ada', true);
    const deleted = await call(replicaA, ca, 'DELETE', `/v1/customers/${bobId}`, ada);
    expect(deleted.status).toBe(204);
    await expectRefusedByB('/v1/me', bob, deleted.at);
  });

  it('the revocations went through Redis, on this system’s own channel', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const channels = await redis.pubsub('CHANNELS', `${KEY_PREFIX}:*`);
      expect(channels).toEqual([`${KEY_PREFIX}:revocations`]);
      // Both replicas listen on it.
      const [, listeners] = (await redis.pubsub('NUMSUB', `${KEY_PREFIX}:revocations`)) as [
        string,
        number,
      ];
      expect(listeners).toBe(2);
    } finally {
      redis.disconnect();
    }
  });
});

(withRedis ? describe : describe.skip)('npm start with GATEWAY_REPLICAS=2', () => {
  it('boots two gateways, each on its own port, both listed in the banner and ready', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-replicas-cli-'));
    const gatewayPort = await freePort();
    const env = {
      PATH: process.env.PATH,
      CITADEL_HOME: home,
      GATEWAY_PORT: String(gatewayPort),
      AUTH_PORT: String(await freePort()),
      ORDER_PORT: String(await freePort()),
      PAYMENT_PORT: String(await freePort()),
      VAULT_PORT: String(await freePort()),
      GATEWAY_REPLICAS: '2',
      REDIS_URL,
      REDIS_KEY_PREFIX: `${KEY_PREFIX}-cli`,
    };
    const cli = spawn(process.execPath, [path.join(REPO_ROOT, 'packages/launcher/dist/cli.js')], {
      env,
    });
    let output = '';
    cli.stdout.on('data', (chunk) => (output += chunk));
    cli.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => cli.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        // The launcher's own readiness deadline (120 s) ends it first on a hung boot.
        const timer = setTimeout(
          () => reject(new Error(`no banner in 150 s:\n${output}`)),
          150_000,
        );
        cli.stdout.on('data', () => {
          if (output.includes('Ctrl-C stops everything')) {
            clearTimeout(timer);
            resolve();
          }
        });
        void exited.then(() => reject(new Error(`launcher exited:\n${output}`)));
      });
      const urls = [...output.matchAll(/Gateway(?: \d)?\s+(https:\/\/127\.0\.0\.1:\d+)/g)].map(
        (match) => match[1],
      );
      expect(urls).toEqual([
        `https://127.0.0.1:${gatewayPort}`,
        `https://127.0.0.1:${gatewayPort + 1}`,
      ]);
      const ca = fs.readFileSync(path.join(home, 'pki', 'ca.pem'));
      for (const url of urls) {
        const status = await new Promise<number>((resolve, reject) =>
          https
            .get(`${url}/readyz`, { ca, agent: false }, (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            })
            .on('error', reject),
        );
        expect([url, status]).toEqual([url, 200]);
      }
    } finally {
      cli.kill('SIGINT');
      await exited;
      fs.rmSync(home, { recursive: true, force: true });
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${KEY_PREFIX}-cli:*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  }, 200_000);
});

describe('gateway replicas without Redis', () => {
  it('npm start refuses GATEWAY_REPLICAS=2 without REDIS_URL, saying why', async () => {
    const cli = spawn(process.execPath, [path.join(REPO_ROOT, 'packages/launcher/dist/cli.js')], {
      env: {
        PATH: process.env.PATH,
        CITADEL_HOME: '/nonexistent-citadel-home',
        GATEWAY_REPLICAS: '2',
      },
    });
    let output = '';
    cli.stdout.on('data', (chunk) => (output += chunk));
    cli.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toContain(REPLICAS_NEED_REDIS);
  });
});
