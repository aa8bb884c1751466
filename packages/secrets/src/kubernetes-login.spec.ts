import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vault from 'node-vault';
import {
  startKubernetesStandIn,
  startVaultDevServer,
  type KubernetesStandIn,
  type VaultDevServer,
} from '@citadel/vault-dev-server';
import { secretPaths } from './secret-paths.js';
import { SecretsError } from './secrets-error.js';
import { openServiceVault } from './service-secrets.js';
import { VaultSession, type SecretsLogger } from './vault-session.js';

/**
 * A service in a Kubernetes pod: it logs in to Vault with its projected service-account
 * token (audience `vault`), which the local Vault server checks as real Vault does (its
 * signature against `pem_keys`, then the cluster's TokenReview), and reads its own secrets
 * and nothing else. No AppRole, no secret_id.
 */
describe('openServiceVault with Kubernetes auth', () => {
  let home: string;
  let server: VaultDevServer;
  let cluster: KubernetesStandIn;
  const events: { event: string; details: Record<string, unknown> }[] = [];
  const logger: SecretsLogger = {
    info: (details, _message) =>
      events.push({ event: (details as { event: string }).event, details: { ...details } }),
    warn: (details, _message) =>
      events.push({ event: (details as { event: string }).event, details: { ...details } }),
  };

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-k8s-login-'));
    server = await startVaultDevServer({ port: 0, log: () => {} });
    cluster = await startKubernetesStandIn();
    // What infra/k8s/vault/configure-kubernetes-auth.sh does, after the bootstrap's policies.
    const root = vault({ endpoint: server.url });
    root.token = server.rootToken;
    await root.write('sys/mounts/secret', { type: 'kv', options: { version: '2' } });
    await root.write('sys/auth/kubernetes', { type: 'kubernetes' });
    await root.write('auth/kubernetes/config', {
      kubernetes_host: cluster.url,
      pem_keys: [cluster.publicKeyPem],
    });
    for (const service of ['order', 'payment']) {
      await root.write(`sys/policies/acl/${service}`, {
        policy: `path "secret/data/citadel/${service}/*" { capabilities = ["read"] }`,
      });
      await root.write(`auth/kubernetes/role/citadel-${service}`, {
        bound_service_account_names: service,
        bound_service_account_namespaces: 'citadel',
        audience: 'vault',
        token_policies: service,
        // Short, so the session must log in again (and re-read its token file) within a test.
        token_ttl: '2s',
        token_max_ttl: '2s',
      });
      await root.write(`secret/data/${secretPaths.database(service)}`, {
        data: { user: `${service}_role` },
      });
    }
  });
  afterAll(async () => {
    await server.close();
    await cluster.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  /** What kubelet does: (re)writes the pod's projected token file. */
  const mountToken = async (file: string, serviceAccount: string, namespace = 'citadel') => {
    fs.writeFileSync(
      file,
      await cluster.token({ namespace, serviceAccount, audience: 'vault', expiresInS: 600 }),
    );
  };
  const settings = (file: string) => ({
    CITADEL_HOME: home,
    VAULT_ADDR: server.url,
    CITADEL_SECRET_WATCH_MS: 100,
    VAULT_AUTH_METHOD: 'kubernetes' as const,
    VAULT_K8S_TOKEN_FILE: file,
  });

  it('logs in with the pod’s token and reads its own secrets, not another service’s', async () => {
    const file = path.join(home, 'order-token');
    await mountToken(file, 'order');
    const session = await openServiceVault(settings(file), 'order', logger);
    try {
      const own = await session.read<{ user: string }>(secretPaths.database('order'));
      expect(own.data.user).toBe('order_role');
      const other = await session.read(secretPaths.database('payment')).catch((error) => error);
      expect(other).toBeInstanceOf(SecretsError);
      expect(other.status).toBe(403);
      expect(events.find((entry) => entry.event === 'vault.login')).toBeDefined();
      // No AppRole material anywhere: nothing was delivered to this service's home.
      expect(fs.existsSync(path.join(home, 'vault', 'order'))).toBe(false);
    } finally {
      session.close();
    }
  });

  it('refuses another ServiceAccount’s token for this service’s role, and fails the start closed', async () => {
    const file = path.join(home, 'stolen-token');
    // payment's pod token, presented as order (role citadel-order).
    await mountToken(file, 'payment');
    const failure = await openServiceVault(settings(file), 'order', logger).catch((error) => error);
    expect(failure).toBeInstanceOf(SecretsError);
    expect(failure.status).toBe(403);
    expect(failure.message).toContain('auth/kubernetes/login');
    expect(failure.message).toContain('service account name not authorized');
    // The right account in another namespace is no better.
    await mountToken(file, 'order', 'default');
    const elsewhere = await openServiceVault(settings(file), 'order', logger).catch(
      (error) => error,
    );
    expect(elsewhere.message).toContain('namespace not authorized');
  });

  it('takes one way in: AppRole credentials or a Kubernetes login, never both or neither', async () => {
    const kubernetes = { role: 'citadel-order', jwt: () => 'x' };
    const credentials = { roleId: 'r', secretId: 's' };
    await expect(VaultSession.open({ addr: server.url, logger })).rejects.toThrow(/either/);
    await expect(
      VaultSession.open({ addr: server.url, logger, kubernetes, credentials }),
    ).rejects.toThrow(/either/);
  });

  it('fails the start closed, naming the file, when no token is mounted', async () => {
    const failure = await openServiceVault(
      settings(path.join(home, 'no-such-token')),
      'order',
      logger,
    ).catch((error) => error);
    expect(String(failure)).toMatch(/no service-account token at .*no-such-token/);
  });

  it('re-reads the token file at every login, as kubelet rotates it', async () => {
    const file = path.join(home, 'rotating-token');
    await mountToken(file, 'order');
    const session = await openServiceVault(settings(file), 'order', logger);
    try {
      const before = events.filter((entry) => entry.event === 'vault.login').length;
      // The role caps tokens at 2 s: the session must log in again, with whatever the file
      // holds then. A file now holding another account's token proves it was read again.
      await mountToken(file, 'payment');
      const deadline = Date.now() + 20_000;
      while (!events.some((entry) => entry.event === 'vault.login-refused')) {
        if (Date.now() > deadline) throw new Error('no second login within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const refused = events.find((entry) => entry.event === 'vault.login-refused')!;
      expect(refused.details['status']).toBe(403);
      expect(String(refused.details['remedy'])).toMatch(/Kubernetes login refused/);
      // Kubelet puts a good token back: the next login succeeds, with no restart.
      await mountToken(file, 'order');
      while (events.filter((entry) => entry.event === 'vault.login').length <= before) {
        if (Date.now() > deadline) throw new Error('no login with the rotated token within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await session.read(secretPaths.database('order'))).data).toEqual({
        user: 'order_role',
      });
    } finally {
      session.close();
    }
  });
});
