import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vault from 'node-vault';
import { startVaultDevServer, type VaultDevServer } from '@citadel/vault-dev-server';
import {
  bootstrapVault,
  deliverAppRoleCredentials,
  rotateSigningKeys,
  VAULT_SERVICES,
} from './bootstrap.js';
import { ensureAuditDevice, type AuditDeviceSettings } from './audit-device.js';
import type { SigningKeysSecret } from './signing-keys.js';

describe('Vault bootstrap', () => {
  let home: string;
  let server: VaultDevServer;
  let stateFile: string;
  let auditFile: string;
  const run = (audit: Partial<AuditDeviceSettings> = { filePath: auditFile }) =>
    bootstrapVault({
      addr: server.url,
      token: server.rootToken,
      credentialsDir: (service) => path.join(home, 'vault', service),
      edgeTls: { cert: 'gateway-cert-pem', key: 'gateway-key-pem' },
      workloadPki: { certificateTtl: '60s' },
      demoUsers: [{ email: 'alice@citadel.test', password: 'pw', role: 'customer' }],
      audit,
    });
  const root = () => {
    const client = vault({ endpoint: server.url });
    client.token = server.rootToken;
    return client;
  };
  const signingKeys = async () =>
    (await root().read('secret/data/citadel/auth/jwt-signing-keys')).data as {
      data: SigningKeysSecret;
      metadata: { version: number };
    };

  beforeEach(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-bootstrap-'));
    stateFile = path.join(home, 'vault-state.json');
    auditFile = path.join(home, 'logs', 'vault-audit.log');
    server = await startVaultDevServer({ port: 0, stateFile, log: () => undefined });
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('configures an empty Vault and delivers each service private credentials', async () => {
    await run();
    for (const service of VAULT_SERVICES) {
      for (const file of ['role_id', 'secret_id']) {
        const target = path.join(home, 'vault', service, file);
        expect(fs.statSync(target).mode & 0o777).toBe(0o600);
      }
      const policy = await root().read(`sys/policies/acl/${service}`);
      expect(policy.data.policy).toContain(`secret/data/citadel/${service}/*`);
    }
    const keys = await signingKeys();
    expect(keys.data.keys).toHaveLength(1);
    expect(keys.data.keys[0]!.private_jwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });

  it('makes the mesh CA inside Vault once, and a role per service for its SPIFFE ID only', async () => {
    await run();
    const caPem = async () => (await fetch(`${server.url}/v1/pki/ca/pem`)).text();
    const ca = await caPem();
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const report = await run();
    expect(report.unchanged).toContain('pki/ mesh root (generated inside Vault)');
    expect(await caPem()).toBe(ca);
    for (const service of VAULT_SERVICES) {
      const role = (await root().read(`pki/roles/${service}`)).data;
      expect(role).toMatchObject({
        allowed_uri_sans: [`spiffe://citadel.local/service/${service}`],
        allowed_domains: [`${service}.citadel.local`],
        server_flag: true,
        client_flag: true,
        ttl: 60,
      });
      const policy = await root().read(`sys/policies/acl/${service}`);
      expect(policy.data.policy).toContain(`path "pki/issue/${service}"`);
    }
    const { auth } = await login('order');
    const order = vault({ endpoint: server.url, token: auth.client_token });
    const issued = await order.write('pki/issue/order', {
      common_name: 'order.citadel.local',
      uri_sans: 'spiffe://citadel.local/service/order',
    });
    expect(issued.data.issuing_ca).toBe(ca);
    expect(issued.data.expiration - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(60);
    const denied = await order
      .write('pki/issue/payment', { common_name: 'payment.citadel.local' })
      .catch((error: { response?: { statusCode?: number } }) => error.response?.statusCode);
    expect(denied).toBe(403);
    const foreign = await order
      .write('pki/issue/order', {
        common_name: 'order.citadel.local',
        uri_sans: 'spiffe://citadel.local/service/payment',
      })
      .catch((error: { response?: { statusCode?: number } }) => error.response?.statusCode);
    expect(foreign).toBe(400);
  });

  it('is idempotent: a second run changes no secret and keeps working credentials', async () => {
    await run();
    const secretId = fs.readFileSync(path.join(home, 'vault', 'order', 'secret_id'), 'utf8');
    const version = (await signingKeys()).metadata.version;
    const second = await run();
    expect(second.created).toEqual([expect.stringMatching(/^policies and roles/)]);
    expect(fs.readFileSync(path.join(home, 'vault', 'order', 'secret_id'), 'utf8')).toBe(secretId);
    expect((await signingKeys()).metadata.version).toBe(version);
  });

  it('replaces credentials that no longer log in', async () => {
    await run();
    const file = path.join(home, 'vault', 'payment', 'secret_id');
    fs.writeFileSync(file, 'revoked\n');
    const report = await run();
    expect(report.created).toContain('AppRole credentials for payment');
    expect(fs.readFileSync(file, 'utf8')).not.toBe('revoked\n');
  });

  const delivered = (service: string) => ({
    roleId: fs.readFileSync(path.join(home, 'vault', service, 'role_id'), 'utf8').trim(),
    secretId: fs.readFileSync(path.join(home, 'vault', service, 'secret_id'), 'utf8').trim(),
  });
  const lookup = async (service: string, secretId: string) =>
    ((await root().write(`auth/approle/role/${service}/secret-id/lookup`, {
      secret_id: secretId,
    })) as { data?: { secret_id_num_uses: number; secret_id_ttl: number } } | '') || undefined;
  const login = (service: string) => {
    const { roleId, secretId } = delivered(service);
    return vault({ endpoint: server.url }).approleLogin({ role_id: roleId, secret_id: secretId });
  };

  it('delivers secret_ids with a TTL and a use limit, for a periodic, renewable token', async () => {
    await run();
    const { secretId } = delivered('order');
    expect((await lookup('order', secretId))?.data).toMatchObject({
      secret_id_num_uses: 10,
      secret_id_ttl: 720 * 3600,
    });
    const { auth } = await login('order');
    expect(auth).toMatchObject({ lease_duration: 3600, renewable: true });
    const token = vault({ endpoint: server.url, token: auth.client_token });
    expect((await token.tokenLookupSelf()).data).toMatchObject({ period: 3600 });
  });

  it('checks held credentials without spending a use or leaving a token behind', async () => {
    await run();
    await run();
    await run();
    const { secretId } = delivered('payment');
    expect((await lookup('payment', secretId))?.data?.secret_id_num_uses).toBe(10);
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { tokens: object };
    expect(Object.keys(state.tokens)).toEqual([]);
  });

  it('re-delivers a secret_id that is nearly spent, and destroys the one it replaces', async () => {
    await run();
    const before = delivered('gateway');
    for (let use = 0; use < 9; use++) await login('gateway');
    expect((await lookup('gateway', before.secretId))?.data?.secret_id_num_uses).toBe(1);
    const report = await run();
    expect(report.created).toContain('AppRole credentials for gateway');
    expect(report.created).not.toContain('AppRole credentials for order');
    const after = delivered('gateway');
    expect(after.secretId).not.toBe(before.secretId);
    expect(await lookup('gateway', before.secretId)).toBeUndefined();
    const refused = await vault({ endpoint: server.url })
      .approleLogin({ role_id: before.roleId, secret_id: before.secretId })
      .catch((error: { response?: { statusCode?: number } }) => error.response?.statusCode);
    expect(refused).toBe(400);
    await expect(login('gateway')).resolves.toBeDefined();
  });

  it('delivers for one service on demand (the launcher, before a restart), only when needed', async () => {
    await run();
    const deliver = () =>
      deliverAppRoleCredentials({
        addr: server.url,
        token: server.rootToken,
        service: 'auth',
        dir: path.join(home, 'vault', 'auth'),
      });
    await expect(deliver()).resolves.toBe(false);
    const before = delivered('auth');
    for (let use = 0; use < 10; use++) await login('auth');
    await expect(login('auth')).rejects.toThrow(/invalid role or secret ID/);
    await expect(deliver()).resolves.toBe(true);
    expect(delivered('auth').secretId).not.toBe(before.secretId);
    await expect(login('auth')).resolves.toBeDefined();
  });

  it('rotation puts a new key first and keeps the one it replaces', async () => {
    await run();
    const before = (await signingKeys()).data.keys.map((key) => key.kid);
    const kid = await rotateSigningKeys(server.url, server.rootToken);
    const after = (await signingKeys()).data.keys.map((key) => key.kid);
    expect(after).toEqual([kid, ...before]);
  });

  it('names the step and the reason when the token is not an admin', async () => {
    await expect(
      bootstrapVault({
        addr: server.url,
        token: 'not-a-token',
        credentialsDir: () => home,
        edgeTls: { cert: '', key: '' },
      }),
    ).rejects.toThrow(/sys\/audit: .*permission denied/);
  });

  const auditDevices = async () =>
    ((await root().read('sys/audit')) as { data: Record<string, unknown> }).data;
  const auditHash = async (input: string) =>
    ((await root().write('sys/audit-hash/file', { input })) as { data: { hash: string } }).data
      .hash;

  it('enables a file audit device first, once, and every later step is on the record', async () => {
    const first = await run();
    expect(first.created[0]).toBe(`file audit device file/ (${auditFile})`);
    expect(await auditDevices()).toEqual({
      'file/': expect.objectContaining({ type: 'file', options: { file_path: auditFile } }),
    });
    const second = await run();
    expect(second.unchanged).toContain(`file audit device file/ (${auditFile})`);
    expect(Object.keys(await auditDevices())).toEqual(['file/']);

    const text = fs.readFileSync(auditFile, 'utf8');
    const entries = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; request: { path: string } });
    // Enabled once: Vault's test entry is written once.
    expect(entries.filter((entry) => entry.request.path === 'sys/audit/test')).toHaveLength(1);
    const paths = new Set(entries.map((entry) => entry.request.path));
    for (const step of [
      'sys/mounts',
      'auth/approle/role/order/secret-id',
      'sys/policies/acl/auth',
    ]) {
      expect(paths).toContain(step);
    }
    // What the bootstrap handled is there only as HMACs: the admin token, each delivered
    // secret_id, the signing key, the gateway's HTTPS key.
    const keys = await signingKeys();
    for (const secret of [
      server.rootToken,
      delivered('order').secretId,
      delivered('payment').secretId,
      keys.data.keys[0]!.private_jwk.d as string,
      'gateway-key-pem',
    ]) {
      expect(text).not.toContain(secret);
      expect(text).toContain(await auditHash(secret));
    }
  });

  it('keeps a device that is already there, and stops rather than replace a different one', async () => {
    await root().write('sys/audit/file', {
      type: 'file',
      options: { file_path: `${auditFile}.operator` },
    });
    await expect(run()).rejects.toThrow(
      /sys\/audit: audit device file\/ is already enabled .*not a file device writing to .*vault-audit\.log/,
    );
    expect(await auditDevices()).toEqual({
      'file/': expect.objectContaining({ options: { file_path: `${auditFile}.operator` } }),
    });
    // The operator's own path is honoured when given, and a device elsewhere is left alone.
    await expect(run({ filePath: `${auditFile}.operator` })).resolves.toBeDefined();
    await run({ path: 'citadel', filePath: auditFile });
    expect(Object.keys(await auditDevices()).sort()).toEqual(['citadel/', 'file/']);
  });

  it('refuses "discard", a device that keeps no record', async () => {
    await expect(run({ filePath: 'discard' })).rejects.toThrow(/sys\/audit: .*keeps no record/);
    await expect(run({ filePath: '  ' })).rejects.toThrow(/sys\/audit: .*empty/);
    expect(await auditDevices()).toEqual({});
  });

  it('stops at a device that writes credentials in clear', async () => {
    const writes: string[] = [];
    const client = {
      read: async () => ({
        data: { 'file/': { type: 'file', options: { file_path: 'stdout', log_raw: 'true' } } },
      }),
      write: async (target: string) => void writes.push(target),
    } as unknown as Parameters<typeof ensureAuditDevice>[0];
    await expect(ensureAuditDevice(client, { path: 'file', filePath: 'stdout' })).rejects.toThrow(
      /in clear/,
    );
    expect(writes).toEqual([]);
  });
});
