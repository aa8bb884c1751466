import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import vault from 'node-vault';
import { startVaultDevServer, type VaultDevServer } from '@citadel/vault-dev-server';
import type { AppRoleCredentials } from './approle-credentials.js';
import { secretPaths } from './secret-paths.js';
import { SecretsError } from './secrets-error.js';
import { VaultSession, type SecretsLogger } from './vault-session.js';

/** A logger that remembers every event, so tests can assert what was logged (and how often). */
function recordingLogger() {
  const events: string[] = [];
  const lines: { details: Record<string, unknown>; message: string }[] = [];
  const record = (details: object, message: string) => {
    events.push((details as { event: string }).event);
    lines.push({ details: details as Record<string, unknown>, message });
  };
  const logger: SecretsLogger = { info: record, warn: record };
  return {
    logger,
    events,
    lines,
    count: (event: string) => events.filter((e) => e === event).length,
  };
}

/** Consecutive differences: the waits between the attempts at `times`. */
const gapsBetween = (times: number[]) => times.slice(1).map((time, i) => time - times[i]!);

/**
 * A random source that returns `values` in turn, then 1: the backoff's jitter, pinned, so a
 * test knows each window's draw. With 1, a delay is its whole window.
 */
const pinnedRandom = (values: number[]) => {
  let next = 0;
  return () => values[next++] ?? 1;
};

/**
 * Vault behind a switch: forwards every request to `target` until `seal()`, then answers
 * 503 (as a sealed or standby Vault does) and records each request's path and time.
 */
async function sealableVault(target: () => string) {
  let sealed = false;
  const refused: { path: string; at: number }[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (sealed) {
        refused.push({ path: request.url ?? '', at: Date.now() });
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errors: ['Vault is sealed'] }));
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          (entry): entry is [string, string] =>
            typeof entry[1] === 'string' && !['host', 'connection'].includes(entry[0]),
        ),
      );
      fetch(`${target()}${request.url}`, {
        method: request.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      }).then(
        async (answer) => {
          response.writeHead(answer.status, { 'content-type': 'application/json' });
          response.end(await answer.text());
        },
        () => response.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused,
    seal: () => (sealed = true),
    unseal: () => (sealed = false),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function until(what: string, probe: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('VaultSession against the Vault API', () => {
  let home: string;
  let server: VaultDevServer;
  let stateFile: string;
  const PEM = { ca: 'test-ca', cert: 'test-cert', key: 'test-key' };
  const credentials = new Map<string, AppRoleCredentials>();
  let rotate: () => Promise<unknown>;
  let root: ReturnType<typeof vault>;
  /** Every AppRole login the server refused: the role and when. */
  const refusedLogins: { role: unknown; at: number }[] = [];

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-secrets-'));
    stateFile = path.join(home, 'state.json');
    server = await startVaultDevServer({
      port: 0,
      stateFile,
      log: (entry) => {
        if (entry.event === 'approle.login-failed') {
          refusedLogins.push({ role: entry['role_name'], at: Date.now() });
        }
      },
    });
    // The same layout the bootstrap makes: one policy, role and TLS secret per service.
    root = vault({ endpoint: server.url });
    root.token = server.rootToken;
    await root.write('sys/mounts/secret', { type: 'kv', options: { version: '2' } });
    await root.write('sys/auth/approle', { type: 'approle' });
    for (const service of ['auth', 'order', 'payment']) {
      await root.write(`sys/policies/acl/${service}`, {
        policy: `path "secret/data/citadel/${service}/*" { capabilities = ["read"] }`,
      });
      await root.write(`auth/approle/role/${service}`, {
        token_policies: [service],
        token_ttl: '2s',
        token_max_ttl: '1h',
      });
      await root.write(`secret/data/${secretPaths.database(service)}`, {
        data: { ...PEM, cert: `cert-of-${service}` },
      });
      const roleId = (await root.read(`auth/approle/role/${service}/role-id`)).data.role_id;
      const secretId = (await root.write(`auth/approle/role/${service}/secret-id`, {})).data
        .secret_id;
      credentials.set(service, { roleId, secretId });
    }
    await root.write(`secret/data/${secretPaths.jwtSigningKeys}`, { data: { keys: [1] } });
    rotate = () =>
      root.write(`secret/data/${secretPaths.jwtSigningKeys}`, { data: { keys: [2, 1] } });
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const open = (service: string, logger: SecretsLogger, overrides = {}) =>
    VaultSession.open({
      addr: server.url,
      credentials: credentials.get(service)!,
      logger,
      retryMs: 50,
      // Capped as tests need: with the default 60 s cap, a retry after a few seconds of
      // outage may wait longer than a test's deadline for recovery (a loaded CI machine
      // makes more attempts before the server is back).
      retryMaxMs: 400,
      watchIntervalMs: 50,
      ...overrides,
    });

  it('logs in with its AppRole and reads its own secret', async () => {
    const session = await open('order', recordingLogger().logger);
    const secret = await session.read<{ cert: string }>(secretPaths.database('order'));
    expect(secret.data.cert).toBe('cert-of-order');
    expect(secret.version).toBe(1);
    session.close();
  });

  it("another service's secret is a 403 SecretsError naming the path, never the value", async () => {
    const session = await open('order', recordingLogger().logger);
    const failure = await session.read(secretPaths.database('payment')).catch((error) => error);
    expect(failure).toBeInstanceOf(SecretsError);
    expect(failure.denied).toBe(true);
    expect(failure.message).toContain('secret/data/citadel/payment/database');
    expect(failure.message).toMatch(/permission denied/);
    expect(failure.message).not.toContain('cert-of-payment');
    session.close();
  });

  it('wrong credentials fail closed at open: one attempt, no retry, the caller reports it', async () => {
    const { roleId } = credentials.get('order')!;
    const before = refusedLogins.length;
    const log = recordingLogger();
    await expect(
      VaultSession.open({
        addr: server.url,
        credentials: { roleId, secretId: 'not-the-secret-id' },
        logger: log.logger,
      }),
    ).rejects.toThrow(/auth\/approle\/login: invalid role or secret ID \(HTTP 400\)/);
    expect(refusedLogins.length - before).toBe(1);
    expect(log.events).toEqual([]);
  });

  it('a sealed Vault at start is waited for with backoff, not a crash: open() logs in once it is unsealed', async () => {
    const log = recordingLogger();
    await root.write('sys/seal', {});
    try {
      const opening = VaultSession.open({
        addr: server.url,
        credentials: credentials.get('order')!,
        logger: log.logger,
        retryMs: 50,
        retryMaxMs: 200,
        startWaitMs: 60_000,
      });
      await until('the wait to start', () => log.count('vault.waiting') === 1);
      // The unseal loop's step (infra/docker/vault-unseal.mjs), done here by hand.
      const unsealed = await fetch(`${server.url}/v1/sys/unseal`, {
        method: 'PUT',
        body: JSON.stringify({ key: server.unsealKey }),
      });
      expect(unsealed.status).toBe(200);
      const session = await opening;
      expect((await session.read(secretPaths.database('order'))).data).toMatchObject({
        cert: 'cert-of-order',
      });
      // Logged once for the whole wait, with the reason; no "serving with secrets held".
      expect(log.count('vault.waiting')).toBe(1);
      expect(log.count('vault.unreachable')).toBe(0);
      expect(log.lines[0]!.details['reason']).toMatch(/Vault is sealed \(HTTP 503\)/);
      session.close();
    } finally {
      await fetch(`${server.url}/v1/sys/unseal`, {
        method: 'PUT',
        body: JSON.stringify({ key: server.unsealKey }),
      });
    }
  });

  it('no credentials at start fail at once, even with a wait for Vault allowed', async () => {
    const log = recordingLogger();
    const started = Date.now();
    await expect(
      VaultSession.open({
        addr: server.url,
        credentials: () => {
          throw new Error('no AppRole role_id at /nowhere/role_id');
        },
        logger: log.logger,
        startWaitMs: 60_000,
      }),
    ).rejects.toThrow(/no AppRole role_id/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(log.events).toEqual([]);
  });

  it('an unreachable Vault at start is waited for, bounded: then the start fails closed', async () => {
    const log = recordingLogger();
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const started = Date.now();
    await expect(
      VaultSession.open({
        addr: `http://127.0.0.1:${port}`,
        credentials: credentials.get('order')!,
        logger: log.logger,
        retryMs: 50,
        retryMaxMs: 100,
        startWaitMs: 500,
      }),
    ).rejects.toThrow(/auth\/approle\/login: unreachable/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    expect(log.events).toEqual(['vault.waiting']);
  });

  /**
   * A role whose tokens Vault will not renew past 1 s, and a secret_id good for one login:
   * the session logs in, Vault caps the renewal, and every later login is refused (400),
   * as when a delivered secret_id is spent or expires while the service runs.
   */
  async function spentSecretId(role: string) {
    await root.write(`auth/approle/role/${role}`, {
      token_policies: ['order'],
      token_ttl: '1s',
      token_max_ttl: '1s',
    });
    const roleId: string = (await root.read(`auth/approle/role/${role}/role-id`)).data.role_id;
    const secretId: string = (
      await root.write(`auth/approle/role/${role}/secret-id`, { num_uses: 1 })
    ).data.secret_id;
    return { roleId, secretId };
  }

  it('a refused secret_id is retried with capped, jittered exponential backoff, not in a loop, and logged once with what to do', async () => {
    const log = recordingLogger();
    const session = await VaultSession.open({
      addr: server.url,
      credentials: await spentSecretId('spent'),
      logger: log.logger,
      retryMs: 100,
      retryMaxMs: 400,
      // Whole windows for the first four retries, then a half and a quarter of one.
      random: pinnedRandom([1, 1, 1, 1, 0.5, 0.25]),
    });
    const refusals = () => refusedLogins.filter((login) => login.role === 'spent');
    await until('seven refused logins', () => refusals().length >= 7);
    session.close();
    const times = refusals().map((login) => login.at);
    // Windows 100, 200, 400, then capped at 400 (not 800), drawn whole, half, quarter.
    const expected = [100, 200, 400, 400, 200, 100];
    const gaps = gapsBetween(times).slice(0, expected.length);
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i]! - 5);
      expect(gap).toBeLessThan(expected[i]! + 300);
    });
    // No tight loop: in the 1.5 s after the first refusal, Vault saw at most 7 logins.
    expect(times.filter((at) => at - times[0]! <= 1_500).length).toBeLessThanOrEqual(7);
    // Logged once for the whole run of refusals, saying what the operator must do.
    expect(log.count('vault.login-refused')).toBe(1);
    expect(log.count('vault.unreachable')).toBe(0);
    const line = log.lines.find((entry) => entry.details['event'] === 'vault.login-refused')!;
    expect(line.details).toMatchObject({ status: 400 });
    expect(line.message).toMatch(/HTTP 400/);
    expect(line.message).toMatch(/secret_id refused.*deliver new AppRole credentials/);
  }, 20_000);

  it('credentials delivered anew reach a running session at its next login', async () => {
    const log = recordingLogger();
    let delivered = await spentSecretId('redelivered');
    const session = await VaultSession.open({
      addr: server.url,
      credentials: () => delivered,
      logger: log.logger,
      retryMs: 100,
      retryMaxMs: 400,
    });
    await until('the refusal', () => log.count('vault.login-refused') === 1);
    const fresh = await root.write('auth/approle/role/redelivered/secret-id', {});
    delivered = { roleId: delivered.roleId, secretId: fresh.data.secret_id };
    await until('a login with the new secret_id', () => log.count('vault.login') === 2);
    expect(log.count('vault.recovered')).toBe(1);
    session.close();
  });

  it('while Vault answers 503, renewal and watches back off (capped), logged once', async () => {
    const sealable = await sealableVault(() => server.url);
    const log = recordingLogger();
    const session = await VaultSession.open({
      addr: sealable.url,
      credentials: credentials.get('auth')!,
      logger: log.logger,
      retryMs: 100,
      retryMaxMs: 400,
      watchIntervalMs: 100,
      random: () => 1,
    });
    const current = await session.read(secretPaths.jwtSigningKeys);
    session.watch(secretPaths.jwtSigningKeys, current.version, () => undefined);
    sealable.seal();
    const renewals = () =>
      sealable.refused.filter((request) => request.path.endsWith('/auth/token/renew-self'));
    const watchPolls = () =>
      sealable.refused.filter((request) => !request.path.endsWith('/auth/token/renew-self'));
    await until('six failed renewals', () => renewals().length >= 6);
    const expected = [100, 200, 400, 400, 400];
    gapsBetween(renewals().map((request) => request.at)).forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i]! - 5);
      expect(gap).toBeLessThan(expected[i]! + 300);
    });
    // The watch (every 100 ms while Vault answers) backs off from its interval too.
    gapsBetween(watchPolls().map((request) => request.at))
      .slice(0, 4)
      .forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual([100, 200, 400, 400][i]! - 5));
    sealable.unseal();
    await until('recovery', () => log.count('vault.recovered') === 1);
    expect(log.count('vault.unreachable')).toBe(1);
    expect(log.count('secret.watch-failed')).toBe(0);
    session.close();
    await sealable.close();
  }, 20_000);

  it('renews its token before it expires, for longer than one TTL', async () => {
    const log = recordingLogger();
    const session = await open('order', log.logger);
    await until('two renewals', () => log.count('vault.token.renewed') >= 2);
    // Past the first 2 s TTL, the token still works.
    await expect(session.read(secretPaths.database('order'))).resolves.toBeDefined();
    session.close();
  });

  it('a watch hands over each new version of a secret', async () => {
    const session = await open('auth', recordingLogger().logger);
    const current = await session.read<{ keys: unknown[] }>(secretPaths.jwtSigningKeys);
    const seen: number[] = [];
    session.watch(secretPaths.jwtSigningKeys, current.version, (next) => {
      seen.push(next.version);
    });
    await rotate();
    await until('the new version', () => seen.length === 1);
    expect(seen).toEqual([current.version + 1]);
    session.close();
  });

  it('an outage is logged once; the session recovers and logs in again when its token died meanwhile', async () => {
    const log = recordingLogger();
    const session = await open('payment', log.logger);
    await server.close();
    // Renewal attempts fail for longer than the token lives.
    await until('the outage to be noticed', () => log.count('vault.unreachable') === 1);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(log.count('vault.unreachable')).toBe(1);

    server = await startVaultDevServer({
      port: server.port,
      stateFile,
      rootToken: server.rootToken,
      log: () => undefined,
    });
    await until('recovery', () => log.count('vault.recovered') === 1);
    await until('a fresh login', () => log.count('vault.login') === 2);
    await expect(session.read(secretPaths.database('payment'))).resolves.toBeDefined();
    session.close();
  }, 20_000);
});
