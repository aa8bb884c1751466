// Secrets from Vault, against a system of its own (it stops and restarts Vault, so it
// does not share the suite's): least privilege per service, fail-closed starts, signing
// key rotation under traffic, secret_ids that are spent and re-delivered, and a Vault
// outage under traffic.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeProtectedHeader } from 'jose';
import vault from 'node-vault';
import { REPO_ROOT, spiffeId } from '@citadel/config';
import { freePort, type RunningSystem } from '@citadel/launcher';
import { appRoleDir, readAppRoleCredentials, secretPaths } from '@citadel/secrets';
import { rotateSigningKeys } from '@citadel/vault-bootstrap';
import { grpcClient } from './support/grpc.js';
import { api, placeOrder, tokenFor } from './support/http.js';
import { bootOwnSystem } from './support/own-system.js';

const TOKEN_TTL_S = 4;
let system: RunningSystem;
let home: string;
let dispose: () => Promise<void>;

beforeAll(async () => {
  ({ system, home, dispose } = await bootOwnSystem({
    // Short-lived (periodic) Vault tokens, so renewals and expiry happen within the test.
    vaultAppRole: { tokenPeriod: `${TOKEN_TTL_S}s` },
    env: { CITADEL_SECRET_WATCH_MS: '200' },
  }));
}, 120_000);

afterAll(() => dispose?.());

/** Vault as the given service sees it, logged in with that service's own AppRole. */
async function vaultAs(service: string) {
  const client = vault({ endpoint: system.vault.addr });
  const { roleId, secretId } = readAppRoleCredentials(appRoleDir(home, service));
  const login = await client.approleLogin({ role_id: roleId, secret_id: secretId });
  client.token = login.auth.client_token;
  return client;
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    return (error as { response?: { statusCode?: number } }).response?.statusCode ?? 0;
  }
}

type LogEntry = { event?: string; time: string; pid: number; [key: string]: unknown };
function logOf(service: string): LogEntry[] {
  return fs
    .readFileSync(system.logFile(service as 'auth'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogEntry);
}
const eventsSince = (service: string, event: string, since: number) =>
  logOf(service).filter((entry) => entry.event === event && Date.parse(entry.time) >= since);

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Steady traffic through the gateway until stopped: reads with a long-lived session, and
 * fresh logins (each one a new token exchange, so a JWT from the newest key).
 */
function steadyTraffic(orderId: string) {
  let running = true;
  const failures: string[] = [];
  let requests = 0;
  const reader = async () => {
    const token = await tokenFor('alice');
    while (running) {
      const response = await api('GET', `/v1/orders/${orderId}`, { token });
      requests++;
      if (response.status !== 200) failures.push(`read: ${response.status} ${response.text}`);
    }
  };
  const newSessions = async () => {
    while (running) {
      const token = await tokenFor('bob', true);
      const response = await api('GET', '/v1/orders', { token });
      requests++;
      if (response.status !== 200)
        failures.push(`new session: ${response.status} ${response.text}`);
    }
  };
  const workers = [reader(), reader(), newSessions()];
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return { failures, requests };
    },
  };
}

describe('least privilege: one Vault identity per service', () => {
  it("order's identity cannot read payment's secrets nor take its identity (403), only its own", async () => {
    const order = await vaultAs('order');
    expect(await statusOf(order.read(`secret/data/${secretPaths.database('payment')}`))).toBe(403);
    expect(await statusOf(order.read(`secret/data/${secretPaths.jwtSigningKeys}`))).toBe(403);
    const asking = (service: string) =>
      order.write(`pki/issue/${service}`, {
        common_name: `${service}.citadel.local`,
        uri_sans: spiffeId(service),
      });
    expect(await statusOf(asking('payment'))).toBe(403);
    expect(await statusOf(asking('order'))).toBe(200);
  });

  it('payment cannot read order’s secrets, and the gateway holds no signing key', async () => {
    const payment = await vaultAs('payment');
    expect(await statusOf(payment.read(`secret/data/${secretPaths.database('order')}`))).toBe(403);
    const gateway = await vaultAs('gateway');
    expect(await statusOf(gateway.read(`secret/data/${secretPaths.jwtSigningKeys}`))).toBe(403);
    expect(await statusOf(gateway.read(`secret/data/${secretPaths.demoUsers}`))).toBe(403);
  });

  it('no identity can write, list or configure Vault', async () => {
    const auth = await vaultAs('auth');
    expect(
      await statusOf(auth.write(`secret/data/${secretPaths.jwtSigningKeys}`, { data: {} })),
    ).toBe(403);
    expect(await statusOf(auth.read('sys/policies/acl/order'))).toBe(403);
    expect(await statusOf(auth.write('auth/approle/role/order/secret-id', {}))).toBe(403);
  });
});

describe('a service starts only with its own Vault identity, and fails closed', () => {
  /** Starts one order process outside the launcher and returns how it ended. */
  async function startOrder(setup: (fakeHome: string) => void, vaultAddr = system.vault.addr) {
    const fakeHome = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-impostor-'));
    try {
      setup(fakeHome);
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'apps/order/dist/main.js')], {
        env: {
          PATH: process.env.PATH,
          CITADEL_HOME: fakeHome,
          VAULT_ADDR: vaultAddr,
          ORDER_PORT: String(await freePort()),
          AUTH_PORT: String(system.ports.auth),
          PAYMENT_PORT: String(system.ports.payment),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      return { code, output };
    } finally {
      fs.rmSync(fakeHome, { recursive: true, force: true });
    }
  }
  const copyCredentials = (from: string) => (fakeHome: string) =>
    fs.cpSync(appRoleDir(home, from), appRoleDir(fakeHome, 'order'), { recursive: true });

  it("order started with payment's credentials is refused its own secrets and exits", async () => {
    const { code, output } = await startOrder(copyCredentials('payment'));
    expect(code).toBe(1);
    expect(output).toContain('order: failed to start');
    expect(output).toContain('pki/issue/order');
    expect(output).toMatch(/permission denied.*HTTP 403/);
    // The message names the path and the reason, never a secret.
    expect(output).not.toMatch(/PRIVATE KEY|secret_id|hvs\./);
  });

  it('without credentials, or without Vault, a service does not start (no built-in fallback)', async () => {
    const none = await startOrder(() => undefined);
    expect(none.code).toBe(1);
    expect(none.output).toMatch(/no AppRole role_id at .*vault\/order\/role_id/);

    const unreachable = await startOrder(
      copyCredentials('order'),
      `http://127.0.0.1:${await freePort()}`,
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.output).toMatch(/auth\/approle\/login: unreachable/);
  });
});

describe('signing key rotation, live', () => {
  it('under steady traffic: 0 failed requests; new tokens use the new key; old tokens live on', async () => {
    const authPid = logOf('auth').find((entry) => entry.event === 'service.started')!.pid;
    const gateway = grpcClient('auth', 'gateway');
    const order = grpcClient('order', 'gateway');
    const aliceToken = await tokenFor('alice');
    const exchange = async () => {
      const outcome = await gateway.rpc.exchangeToken({
        access_token: aliceToken,
        audience: 'order',
      });
      return outcome.response.jwt as string;
    };
    const before = await exchange();
    const oldKid = decodeProtectedHeader(before).kid;
    const orderId = (await placeOrder('alice')).id;

    const traffic = steadyTraffic(orderId);
    const rootToken = fs.readFileSync(path.join(home, 'vault', 'root-token'), 'utf8').trim();
    const newKid = await rotateSigningKeys(system.vault.addr, rootToken);
    expect(newKid).not.toBe(oldKid);

    // Published first (JWKS carries both), then used for signing.
    await until('the new key in the JWKS', async () => {
      const jwks = await gateway.rpc.getJwks({});
      return jwks.response.keys.some((key: { kid: string }) => key.kid === newKid);
    });
    const after = await until('a JWT signed with the new key', async () => {
      const jwt = await exchange();
      return decodeProtectedHeader(jwt).kid === newKid ? jwt : undefined;
    });
    // Keep the traffic going across the switch for a while.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { failures, requests } = await traffic.stop();

    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(20);
    // A token signed by the old key is still accepted until it expires...
    expect((await order.rpc.getOrder({ id: orderId }, before)).code).toBe(0);
    // ...and the new one is accepted too.
    expect((await order.rpc.getOrder({ id: orderId }, after)).code).toBe(0);
    // The new key came from Vault while auth kept running: no restart.
    expect(logOf('auth').filter((entry) => entry.event === 'service.started')).toHaveLength(1);
    expect(eventsSince('auth', 'signing-key.published', 0)[0]).toMatchObject({
      kid: newKid,
      pid: authPid,
    });
    gateway.close();
    order.close();
  }, 60_000);
});

describe('AppRole secret_ids: a use limit, and a fresh one for each restart', () => {
  const status = (error: unknown) =>
    (error as { response?: { statusCode?: number } }).response?.statusCode ?? 0;

  it("concurrent logins with order's delivered secret_id: only its uses left get a token; order keeps serving and restarts with a new one", async () => {
    const rootToken = fs.readFileSync(path.join(home, 'vault', 'root-token'), 'utf8').trim();
    const admin = vault({ endpoint: system.vault.addr, token: rootToken });
    const held = readAppRoleCredentials(appRoleDir(home, 'order'));
    const lookup = await admin.write('auth/approle/role/order/secret-id/lookup', {
      secret_id: held.secretId,
    });
    const usesLeft: number = lookup.data.secret_id_num_uses;
    // Limited (order's start spent one), where the bootstrap used to deliver unlimited ones.
    expect(usesLeft).toBeGreaterThan(0);
    expect(usesLeft).toBeLessThan(10);

    // Someone holding a copy tries it many times at once.
    const since = Date.now();
    const extra = 5;
    const outcomes = await Promise.all(
      Array.from({ length: usesLeft + extra }, () =>
        vault({ endpoint: system.vault.addr })
          .approleLogin({ role_id: held.roleId, secret_id: held.secretId })
          .then((body: { auth: { client_token: string } }) => body.auth.client_token, status),
      ),
    );
    const tokens = outcomes.filter((outcome): outcome is string => typeof outcome === 'string');
    expect(tokens).toHaveLength(usesLeft);
    expect(outcomes.filter((outcome) => outcome === 400)).toHaveLength(extra);
    // Vault's own record: exactly the logins past the limit were refused.
    await until('the refusals in the Vault log', () =>
      eventsSince('vault', 'approle.login-failed', since).length === extra ? true : undefined,
    );

    // The tokens it did get are revoked by their holder, and dead at once.
    for (const token of tokens) {
      const holder = vault({ endpoint: system.vault.addr, token });
      await holder.write('auth/token/revoke-self', {});
      expect(await statusOf(holder.tokenLookupSelf())).toBe(403);
    }

    // Order's own token is periodic and renewed: it never needs its secret_id again.
    await placeOrder('alice');

    // A restart spends a use: the launcher delivers a new secret_id first.
    await system.stopService('order');
    await system.startService('order');
    expect(readAppRoleCredentials(appRoleDir(home, 'order')).secretId).not.toBe(held.secretId);
    await until('an order placed after the restart', () =>
      placeOrder('alice').catch(() => undefined),
    );
  }, 60_000);
});

describe('Vault outage', () => {
  it('under traffic: 0 failed requests while Vault is down; renewals resume when it returns', async () => {
    const services = ['auth', 'order', 'payment', 'gateway'];
    const orderId = (await placeOrder('alice')).id;
    const traffic = steadyTraffic(orderId);
    const down = Date.now();
    await system.stopService('vault');

    // Down for longer than the services' Vault tokens live.
    await new Promise((resolve) => setTimeout(resolve, (TOKEN_TTL_S + 2) * 1000));
    const { failures, requests } = await traffic.stop();
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(20);
    for (const service of services) {
      // Logged once, not once per retry.
      expect(eventsSince(service, 'vault.unreachable', down)).toHaveLength(1);
    }

    const up = Date.now();
    await system.startService('vault');
    for (const service of services) {
      await until(`${service} to recover`, () => eventsSince(service, 'vault.recovered', up)[0]);
      await until(
        `${service} to renew its Vault token again`,
        () => eventsSince(service, 'vault.token.renewed', up)[0],
      );
    }
    // Still serving after the outage.
    expect(
      (await api('GET', `/v1/orders/${orderId}`, { token: await tokenFor('alice') })).status,
    ).toBe(200);
  }, 60_000);
});
