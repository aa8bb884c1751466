// Vault's audit log, as an attacker who can read it would like it to be: a list of every
// service's login and every secret read, with the credentials in it. The bootstrap enables a
// file audit device before it configures anything, so the log does record every service's
// login, every read and every refusal, by whom (policies, the AppRole's role_name) and from
// where; but each token, secret_id and secret value in it is a salted HMAC
// (`hmac-sha256:…`), which proves what was used without being usable.
import fs from 'node:fs';
import path from 'node:path';
import vault from 'node-vault';
import { SERVICES } from '@citadel/config';
import { appRoleDir, readAppRoleCredentials, secretPaths } from '@citadel/secrets';
import { e2eState } from './support/state.js';

interface AuditAuth {
  client_token?: string;
  policies?: string[];
  metadata?: Record<string, string>;
}
interface AuditEntry {
  type: 'request' | 'response';
  error?: string;
  auth?: AuditAuth;
  request: { path: string; operation: string; data?: Record<string, unknown> };
  response?: { auth?: AuditAuth; data?: Record<string, unknown> };
}

const { home, vaultAddr } = e2eState();
const rootToken = fs.readFileSync(path.join(home, 'vault', 'root-token'), 'utf8').trim();
const root = vault({ endpoint: vaultAddr, token: rootToken });

/** In local mode the device writes to the Vault server's stdout, which the launcher keeps. */
function auditLog(): { text: string; entries: AuditEntry[] } {
  const lines = fs
    .readFileSync(path.join(home, 'logs', 'vault.log'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Partial<AuditEntry> & { event?: string });
  const entries = lines.filter(
    (entry): entry is AuditEntry =>
      (entry.type === 'request' || entry.type === 'response') && typeof entry.request === 'object',
  );
  return { text: entries.map((entry) => JSON.stringify(entry)).join('\n'), entries };
}

const hashOf = async (input: string) =>
  ((await root.write('sys/audit-hash/file', { input })) as { data: { hash: string } }).data.hash;

it('the bootstrap enabled a file audit device, to the Vault server stdout', async () => {
  const devices = (await root.read('sys/audit')) as { data: Record<string, unknown> };
  expect(devices.data).toEqual({
    'file/': expect.objectContaining({ type: 'file', options: { file_path: 'stdout' } }),
  });
});

it("records each service's login by role, with no secret_id, role_id or token in clear", async () => {
  const { text, entries } = auditLog();
  const logins = entries.filter(
    (entry) => entry.type === 'response' && entry.request.path === 'auth/approle/login',
  );
  for (const service of SERVICES) {
    const login = logins.find((entry) => entry.response?.auth?.metadata?.role_name === service);
    expect([service, login?.response?.auth?.client_token]).toEqual([
      service,
      expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/),
    ]);
    expect(login?.response?.auth?.policies).toContain(service);

    // The credentials delivered to the service are there only as their HMACs.
    const { roleId, secretId } = readAppRoleCredentials(appRoleDir(home, service));
    for (const credential of [roleId, secretId]) {
      expect(text).not.toContain(credential);
      expect(text).toContain(await hashOf(credential));
    }
  }
  // No Vault token at all (every one starts `hvs.`), not even the admin's.
  expect(text).not.toContain('hvs.');
  expect(text).toContain(await hashOf(rootToken));

  // Nor a secret the services read: the JWT signing key, read by auth at start.
  const keys = (await root.read(`secret/data/${secretPaths.jwtSigningKeys}`)) as {
    data: { data: { keys: { private_jwk: { d: string } }[] } };
  };
  const d = keys.data.data.keys[0]!.private_jwk.d;
  expect(text).not.toContain(d);
  expect(text).toContain(await hashOf(d));
  const authRead = entries.find(
    (entry) =>
      entry.type === 'response' &&
      entry.request.path === `secret/data/${secretPaths.jwtSigningKeys}` &&
      entry.auth?.metadata?.role_name === 'auth',
  );
  expect(authRead).toBeDefined();
});

it("records a service's attempt on another's secret, refused, with who tried", async () => {
  // A secret_id of the order role, minted for this test and destroyed after it, so the
  // service's own keeps every use.
  const role = 'auth/approle/role/order';
  const { data: roleData } = (await root.read(`${role}/role-id`)) as { data: { role_id: string } };
  const { data: minted } = (await root.write(`${role}/secret-id`, {})) as {
    data: { secret_id: string };
  };
  const asOrder = vault({ endpoint: vaultAddr });
  try {
    const login = await asOrder.approleLogin({
      role_id: roleData.role_id,
      secret_id: minted.secret_id,
    });
    asOrder.token = login.auth.client_token;
    const target = `secret/data/${secretPaths.database('payment')}`;
    const refused = await asOrder
      .read(target)
      .then(() => 200)
      .catch((error: { response?: { statusCode?: number } }) => error.response?.statusCode);
    expect(refused).toBe(403);

    const { text, entries } = auditLog();
    const token = await hashOf(asOrder.token);
    const attempt = entries.filter(
      (entry) => entry.request.path === target && entry.auth?.client_token === token,
    );
    // The request alone: refused before it was served, so there is no response to record.
    expect(attempt).toHaveLength(1);
    expect(attempt[0]).toMatchObject({
      type: 'request',
      error: expect.stringContaining('permission denied'),
      auth: { metadata: { role_name: 'order' }, policies: ['default', 'order'] },
      request: { operation: 'read' },
    });
    expect(text).not.toContain(asOrder.token);
    expect(text).not.toContain(minted.secret_id);
    await asOrder.write('auth/token/revoke-self', {});
  } finally {
    await root.write(`${role}/secret-id/destroy`, { secret_id: minted.secret_id });
  }
});
