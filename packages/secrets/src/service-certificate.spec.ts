import { X509Certificate } from 'node:crypto';
import vault from 'node-vault';
import { startVaultDevServer, type VaultDevServer } from '@citadel/vault-dev-server';
import { issueServiceCertificate } from './service-secrets.js';
import { SecretsError } from './secrets-error.js';
import { VaultSession, type SecretsLogger } from './vault-session.js';

const silent: SecretsLogger = { info: () => undefined, warn: () => undefined };

/** What the bootstrap sets up for one service: the PKI mount, its role and its policy. */
async function serviceWithPki(server: VaultDevServer, service: string) {
  const admin = vault({ endpoint: server.url });
  admin.token = server.rootToken;
  const mounts = (await admin.read('sys/mounts')) as Record<string, unknown>;
  if (!mounts['pki/']) {
    await admin.write('sys/mounts/pki', { type: 'pki', config: { max_lease_ttl: '87600h' } });
    await admin.write('pki/root/generate/internal', {
      common_name: 'Citadel mesh',
      key_type: 'ec',
      ttl: '87600h',
    });
    await admin.write('sys/auth/approle', { type: 'approle' });
  }
  await admin.write(`pki/roles/${service}`, {
    allowed_uri_sans: [`spiffe://citadel.local/service/${service}`],
    allowed_domains: [`${service}.citadel.local`],
    allow_bare_domains: true,
    key_type: 'ec',
    ttl: '4h',
    max_ttl: '24h',
    no_store: true,
  });
  await admin.write(`sys/policies/acl/${service}`, {
    policy: `path "pki/issue/${service}" { capabilities = ["update"] }`,
  });
  await admin.write(`auth/approle/role/${service}`, { token_policies: [service] });
  const roleId = (
    (await admin.read(`auth/approle/role/${service}/role-id`)) as {
      data: { role_id: string };
    }
  ).data.role_id;
  const secretId = (
    (await admin.write(`auth/approle/role/${service}/secret-id`, {})) as {
      data: { secret_id: string };
    }
  ).data.secret_id;
  return VaultSession.open({
    addr: server.url,
    credentials: { roleId, secretId },
    logger: silent,
  });
}

describe('issueServiceCertificate', () => {
  let server: VaultDevServer;
  const sessions: VaultSession[] = [];
  beforeAll(async () => {
    server = await startVaultDevServer({ port: 0, log: () => undefined });
  });
  afterAll(async () => {
    for (const session of sessions) session.close();
    await server.close();
  });

  it('issues the service its SPIFFE ID for the TTL asked, with the mesh CA', async () => {
    const session = await serviceWithPki(server, 'order');
    sessions.push(session);
    const issued = await issueServiceCertificate(session, 'order', { ttl: '60s' });
    const cert = new X509Certificate(issued.certificate);
    expect(cert.subjectAltName).toBe(
      'DNS:order.citadel.local, URI:spiffe://citadel.local/service/order',
    );
    expect(cert.checkIssued(new X509Certificate(issued.caChain[0]!))).toBe(true);
    expect(issued.expiration - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(60);
    expect(issued.privateKey).toMatch(/PRIVATE KEY/);
    const again = await issueServiceCertificate(session, 'order');
    expect(again.serialNumber).not.toBe(issued.serialNumber);
  });

  it('cannot issue another service’s identity', async () => {
    const session = await serviceWithPki(server, 'payment');
    sessions.push(session);
    await serviceWithPki(server, 'order').then((other) => sessions.push(other));
    const refused = await issueServiceCertificate(session, 'order').catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SecretsError);
    expect((refused as SecretsError).status).toBe(403);
  });
});
