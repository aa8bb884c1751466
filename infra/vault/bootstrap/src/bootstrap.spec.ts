import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vault from 'node-vault';
import { startVaultDevServer, type VaultDevServer } from '@citadel/vault-dev-server';
import { bootstrapVault, rotateSigningKeys, VAULT_SERVICES } from './bootstrap.js';
import type { SigningKeysSecret } from './signing-keys.js';

describe('Vault bootstrap', () => {
  let home: string;
  let server: VaultDevServer;
  const run = () =>
    bootstrapVault({
      addr: server.url,
      token: server.rootToken,
      credentialsDir: (service) => path.join(home, 'vault', service),
      tls: (service) => ({ ca: 'ca-pem', cert: `${service}-cert-pem`, key: `${service}-key-pem` }),
      demoUsers: [{ email: 'alice@citadel.test', password: 'pw', role: 'customer' }],
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
    server = await startVaultDevServer({ port: 0, log: () => undefined });
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
        tls: () => ({ ca: '', cert: '', key: '' }),
      }),
    ).rejects.toThrow(/sys\/mounts: .*permission denied/);
  });
});
