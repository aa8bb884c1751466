import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vault from 'node-vault';
import { startVaultDevServer, type VaultDevServer } from '@citadel/vault-dev-server';
import { bootstrapVault, VAULT_SERVICES } from './bootstrap.js';

/**
 * In Kubernetes (infra/k8s/vault-bootstrap.yaml, VAULT_AUTH_METHOD=kubernetes) every pod
 * logs in with its own service-account token: the bootstrap is given no credentials
 * directory, and mints no AppRole secret_id that nobody would hold.
 */
describe('Vault bootstrap for Kubernetes (no credentials directory)', () => {
  let home: string;
  let server: VaultDevServer;
  beforeEach(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-bootstrap-k8s-'));
    server = await startVaultDevServer({ port: 0, log: () => undefined });
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('writes the policies the Kubernetes auth roles grant, and mints no secret_id', async () => {
    const report = await bootstrapVault({
      addr: server.url,
      token: server.rootToken,
      edgeTls: { cert: 'gateway-cert-pem', key: 'gateway-key-pem' },
      workloadPki: { certificateTtl: '60s' },
      audit: { filePath: path.join(home, 'audit', 'vault-audit.log') },
    });
    const reported = [...report.created, ...report.unchanged];
    expect(reported.filter((what) => what.startsWith('AppRole credentials'))).toEqual([]);
    const root = vault({ endpoint: server.url });
    root.token = server.rootToken;
    for (const service of VAULT_SERVICES) {
      const policy = await root.read(`sys/policies/acl/${service}`);
      expect(policy.data.policy).toContain(`citadel/${service}/`);
    }
    // Nothing was delivered: only the audit log was written.
    expect(fs.readdirSync(home)).toEqual(['audit']);
  });
});
