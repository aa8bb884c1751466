// Vault's database engine taking over the services' login roles, against the local Vault
// server and real PostgreSQL (127.0.0.1:5432, trust auth for postgres). That server lets
// local logins in whatever their password, so passwords are checked the way PostgreSQL
// checks them: against the SCRAM verifier it stores. Without PostgreSQL the file says so
// and skips, except on CI, where it runs and fails.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import vault from 'node-vault';
import pg from 'pg';
import { LOCAL_POSTGRES_ADMIN, localPostgresAvailable } from '@citadel/testing';
import { startVaultDevServer, type VaultDevServer } from '@citadel/vault-dev-server';
import { POLICY_DIR } from './bootstrap.js';
import { ensureDatabaseEngine, vaultConnection } from './database-engine.js';
import { DATA_SERVICES, provisionServiceRoles, roleName } from './database-roles.js';

const available = await localPostgresAvailable('database-engine: the static role specs');

/** Whether `password` matches the SCRAM-SHA-256 verifier PostgreSQL stores for `role`. */
async function passwordIs(database: string, role: string, password: string): Promise<boolean> {
  const client = new pg.Client({ ...LOCAL_POSTGRES_ADMIN, database });
  await client.connect();
  try {
    const stored: string | null = (
      await client.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role])
    ).rows[0]?.rolpassword;
    const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):/.exec(stored ?? '');
    if (!match) return false;
    const [, iterations, salt, storedKey] = match as unknown as [string, string, string, string];
    const salted = pbkdf2Sync(
      password,
      Buffer.from(salt, 'base64'),
      Number(iterations),
      32,
      'sha256',
    );
    const clientKey = createHmac('sha256', salted).update('Client Key').digest();
    return createHash('sha256').update(clientKey).digest('base64') === storedKey;
  } finally {
    await client.end();
  }
}

describe('vaultConnection', () => {
  it('moves the admin URL’s credentials into Vault’s templates', () => {
    expect(vaultConnection('postgres://admin:s%40cret@db:5433/citadel?sslmode=require')).toEqual({
      connectionUrl: 'postgres://{{username}}:{{password}}@db:5433/citadel?sslmode=require',
      username: 'admin',
      password: 's@cret',
    });
    expect(vaultConnection('postgres://postgres@127.0.0.1:5432/citadel').password).toBe('');
    expect(() => vaultConnection('postgres://127.0.0.1/citadel')).toThrow('names no user');
  });
});

(available ? describe : describe.skip)('ensureDatabaseEngine (PostgreSQL)', () => {
  const database = `citadel_dbengine_${randomBytes(4).toString('hex')}`;
  const adminUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
  let server: VaultDevServer;
  let root: ReturnType<typeof vault>;

  beforeAll(async () => {
    const setup = new pg.Client(LOCAL_POSTGRES_ADMIN);
    await setup.connect();
    await setup.query(`CREATE DATABASE ${database}`);
    await setup.end();
    server = await startVaultDevServer({ port: 0, log: () => undefined });
    root = vault({ endpoint: server.url, token: server.rootToken });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    const setup = new pg.Client(LOCAL_POSTGRES_ADMIN);
    await setup.connect();
    await setup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    for (const service of DATA_SERVICES) {
      await setup.query(`DROP ROLE IF EXISTS ${roleName(database, service)}`);
    }
    await setup.end();
  });

  it('gives each service a static role whose password Vault set, readable by that service alone', async () => {
    const logins = await provisionServiceRoles(adminUrl);
    expect(logins['order']).toEqual({
      host: '127.0.0.1',
      port: 5432,
      database,
      user: roleName(database, 'order'),
      ssl: false,
    });
    const created = await ensureDatabaseEngine(root, logins, { adminUrl, rotationPeriod: '1h' });
    expect(created).toEqual([
      'database engine database/',
      'database connection citadel',
      ...[...DATA_SERVICES].sort().map((service) => `static role ${service}`),
    ]);
    const config = (await root.read('database/config/citadel')).data;
    expect(config).toMatchObject({
      allowed_roles: [...DATA_SERVICES].sort(),
      connection_details: {
        connection_url: `postgres://{{username}}:{{password}}@127.0.0.1:5432/${database}`,
        username: 'postgres',
        password_authentication: 'scram-sha-256',
      },
    });

    const creds: Record<string, { username: string; password: string; ttl: number }> = {};
    for (const service of DATA_SERVICES) {
      creds[service] = (await root.read(`database/static-creds/${service}`)).data;
      expect(creds[service]!.username).toBe(roleName(database, service));
      expect(creds[service]!.ttl).toBeGreaterThan(3500);
      expect(await passwordIs(database, creds[service]!.username, creds[service]!.password)).toBe(
        true,
      );
    }

    // The service's own policy file: its static-creds, not another service's.
    await root.write('sys/policies/acl/order', {
      policy: fs.readFileSync(path.join(POLICY_DIR, 'order.hcl'), 'utf8'),
    });
    const asOrder = vault({
      endpoint: server.url,
      token: await appRoleToken(root, server.url, 'order'),
    });
    expect((await asOrder.read('database/static-creds/order')).data.password).toBe(
      creds['order']!.password,
    );
    await expect(asOrder.read('database/static-creds/payment')).rejects.toMatchObject({
      response: { statusCode: 403 },
    });
    await expect(asOrder.read('database/config/citadel')).rejects.toMatchObject({
      response: { statusCode: 403 },
    });

    // Again: nothing is created and no password changes.
    expect(await provisionServiceRoles(adminUrl)).toEqual(logins);
    expect(await ensureDatabaseEngine(root, logins, { adminUrl, rotationPeriod: '1h' })).toEqual(
      [],
    );
    for (const service of DATA_SERVICES) {
      expect((await root.read(`database/static-creds/${service}`)).data.password).toBe(
        creds[service]!.password,
      );
    }
    // A new period is written without a rotation.
    await ensureDatabaseEngine(root, logins, { adminUrl, rotationPeriod: '2h' });
    const order = (await root.read('database/static-creds/order')).data;
    expect([order.password, order.rotation_period]).toEqual([creds['order']!.password, 7200]);
  }, 60_000);
});

async function appRoleToken(
  root: ReturnType<typeof vault>,
  url: string,
  service: string,
): Promise<string> {
  const methods = await root.read('sys/auth');
  if (!(methods.data ?? methods)['approle/']) {
    await root.write('sys/auth/approle', { type: 'approle' });
  }
  await root.write(`auth/approle/role/${service}`, { token_policies: [service] });
  const roleId = (await root.read(`auth/approle/role/${service}/role-id`)).data.role_id;
  const secretId = (await root.write(`auth/approle/role/${service}/secret-id`, {})).data.secret_id;
  const client = vault({ endpoint: url });
  return (await client.approleLogin({ role_id: roleId, secret_id: secretId })).auth.client_token;
}
