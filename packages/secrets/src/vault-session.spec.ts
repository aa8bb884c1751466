import fs from 'node:fs';
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
  const logger: SecretsLogger = {
    info: (details) => events.push((details as { event: string }).event),
    warn: (details) => events.push((details as { event: string }).event),
  };
  return { logger, events, count: (event: string) => events.filter((e) => e === event).length };
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

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-secrets-'));
    stateFile = path.join(home, 'state.json');
    server = await startVaultDevServer({ port: 0, stateFile, log: () => undefined });
    // The same layout the bootstrap makes: one policy, role and TLS secret per service.
    const root = vault({ endpoint: server.url });
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
      await root.write(`secret/data/${secretPaths.tls(service)}`, {
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
      watchIntervalMs: 50,
      ...overrides,
    });

  it('logs in with its AppRole and reads its own secret', async () => {
    const session = await open('order', recordingLogger().logger);
    const secret = await session.read<{ cert: string }>(secretPaths.tls('order'));
    expect(secret.data.cert).toBe('cert-of-order');
    expect(secret.version).toBe(1);
    session.close();
  });

  it("another service's secret is a 403 SecretsError naming the path, never the value", async () => {
    const session = await open('order', recordingLogger().logger);
    const failure = await session.read(secretPaths.tls('payment')).catch((error) => error);
    expect(failure).toBeInstanceOf(SecretsError);
    expect(failure.denied).toBe(true);
    expect(failure.message).toContain('secret/data/citadel/payment/tls');
    expect(failure.message).toMatch(/permission denied/);
    expect(failure.message).not.toContain('cert-of-payment');
    session.close();
  });

  it('wrong credentials fail closed at open', async () => {
    const { roleId } = credentials.get('order')!;
    await expect(
      VaultSession.open({
        addr: server.url,
        credentials: { roleId, secretId: 'not-the-secret-id' },
        logger: recordingLogger().logger,
      }),
    ).rejects.toThrow(/auth\/approle\/login: invalid role or secret ID/);
  });

  it('renews its token before it expires, for longer than one TTL', async () => {
    const log = recordingLogger();
    const session = await open('order', log.logger);
    await until('two renewals', () => log.count('vault.token.renewed') >= 2);
    // Past the first 2 s TTL, the token still works.
    await expect(session.read(secretPaths.tls('order'))).resolves.toBeDefined();
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
    await expect(session.read(secretPaths.tls('payment'))).resolves.toBeDefined();
    session.close();
  }, 20_000);
});
