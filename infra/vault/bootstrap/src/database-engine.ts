import type vault from 'node-vault';
import { DATABASE_MOUNT, secretsError } from '@citadel/secrets';
import type { DatabaseLogin } from './database-roles.js';

type Client = ReturnType<typeof vault>;

/** The engine's one connection: Citadel's database, reached as the admin of the admin URL. */
export const DATABASE_CONNECTION = 'citadel';

export interface DatabaseEngineSettings {
  /** The PostgreSQL superuser URL the bootstrap was given (`CITADEL_DB_ADMIN_URL`). */
  adminUrl: string;
  /**
   * How often Vault rotates each service's password (Vault duration syntax, at least 5s).
   * Services pick up a new one for new connections without a restart.
   */
  rotationPeriod: string;
}

/** A day: long enough that a rotation is an event, short enough that a leaked password dies. */
export const DATABASE_ROTATION_DEFAULT = '24h';

/**
 * The admin URL as Vault's `connection_url`: its user and password replaced by Vault's
 * `{{username}}`/`{{password}}` templates, so they are stored as the connection's root
 * credentials (never returned on read, and replaceable by `rotate-root`) rather than
 * inside a URL anyone who may read the config sees.
 */
export function vaultConnection(adminUrl: string): {
  connectionUrl: string;
  username: string;
  password: string;
} {
  const url = new URL(adminUrl);
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  if (!username) throw new Error('the database admin URL names no user');
  return {
    connectionUrl: `${url.protocol}//{{username}}:{{password}}@${url.host}${url.pathname}${url.search}`,
    username,
    password,
  };
}

async function readOrUndefined<T>(client: Client, path: string): Promise<T | undefined> {
  try {
    return ((await client.read(path)) as { data: T }).data;
  } catch (error) {
    const failure = secretsError(path, error);
    if (failure.status === 404) return undefined;
    throw failure;
  }
}

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw secretsError(what, error);
  }
}

/**
 * Vault's database secrets engine takes over each data service's login role: the engine at
 * `database/`, one connection (`config/citadel`, the admin credentials, allowed to serve the
 * services' roles only, passwords sent as SCRAM-SHA-256 verifiers so no plaintext reaches the
 * server's log), and one static role per service, named after it, which Vault creates by
 * setting the role's first password and then rotates every `rotationPeriod`. Idempotent: a
 * connection already there keeps the root password Vault holds (an operator may have run
 * `rotate-root`), and a static role already there keeps its password (only its period is
 * written again). Returns what it created.
 */
export async function ensureDatabaseEngine(
  client: Client,
  logins: Readonly<Record<string, DatabaseLogin>>,
  settings: DatabaseEngineSettings,
): Promise<string[]> {
  const created: string[] = [];
  type Mounts = Record<string, { type?: string }>;
  const mounts = (await call('sys/mounts', () => client.read('sys/mounts'))) as Mounts & {
    data?: Mounts;
  };
  const mounted = mounts.data?.[`${DATABASE_MOUNT}/`] ?? mounts[`${DATABASE_MOUNT}/`];
  if (!mounted) {
    await call(`sys/mounts/${DATABASE_MOUNT}`, () =>
      client.write(`sys/mounts/${DATABASE_MOUNT}`, { type: 'database' }),
    );
    created.push(`database engine ${DATABASE_MOUNT}/`);
  } else if (mounted.type !== 'database') {
    throw new Error(`${DATABASE_MOUNT}/ is mounted but is not the database secrets engine`);
  }

  const services = Object.keys(logins).sort();
  const { connectionUrl, username, password } = vaultConnection(settings.adminUrl);
  const configPath = `${DATABASE_MOUNT}/config/${DATABASE_CONNECTION}`;
  const current = await readOrUndefined<{
    allowed_roles: string[];
    plugin_name: string;
    connection_details: { connection_url?: string; username?: string };
  }>(client, configPath);
  const wanted = {
    plugin_name: 'postgresql-database-plugin',
    connection_url: connectionUrl,
    username,
    allowed_roles: services.join(','),
    password_authentication: 'scram-sha-256',
    verify_connection: true,
  };
  const same =
    current?.plugin_name === wanted.plugin_name &&
    current.connection_details.connection_url === connectionUrl &&
    current.connection_details.username === username &&
    [...current.allowed_roles].sort().join(',') === wanted.allowed_roles;
  if (!same) {
    // A new admin user brings its own password; the same one keeps what Vault holds.
    const withPassword = !current || current.connection_details.username !== username;
    await call(configPath, () =>
      client.write(configPath, withPassword ? { ...wanted, password } : wanted),
    );
    if (!current) created.push(`database connection ${DATABASE_CONNECTION}`);
  }

  for (const service of services) {
    const rolePath = `${DATABASE_MOUNT}/static-roles/${service}`;
    const login = logins[service]!;
    const role = await readOrUndefined<{ username: string }>(client, rolePath);
    if (role && role.username !== login.user) {
      // Vault cannot change a static role's user: a role for another user is replaced.
      await call(rolePath, () => client.delete(rolePath));
    }
    await call(rolePath, () =>
      client.write(rolePath, {
        db_name: DATABASE_CONNECTION,
        username: login.user,
        rotation_period: settings.rotationPeriod,
      }),
    );
    if (!role || role.username !== login.user) created.push(`static role ${service}`);
  }
  return created;
}
