import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DATA_SERVICES } from '@citadel/config';

/** The services that own data (from the service registry): one schema and one login role each. */
export { DATA_SERVICES };

export interface DatabaseCredentials {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/**
 * Attack point 4, stopped by PostgreSQL itself: each data service gets a login role that
 * owns one schema (named after the service) and is granted nothing else. No role can read
 * another service's tables, and PUBLIC keeps no rights on the database or its public schema.
 *
 * `current` holds the credentials Vault already has; a role whose stored password still
 * logs in keeps it (re-running the bootstrap does not churn passwords).
 */
export async function provisionServiceRoles(
  adminUrl: string,
  current: Partial<Record<string, DatabaseCredentials>>,
): Promise<Record<string, DatabaseCredentials>> {
  const url = new URL(adminUrl);
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!database) throw new Error('the database admin URL names no database');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const result: Record<string, DatabaseCredentials> = {};
  try {
    const db = admin.escapeIdentifier(database);
    await admin.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    await admin.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    for (const service of DATA_SERVICES) {
      const user = roleName(database, service);
      const role = admin.escapeIdentifier(user);
      const stored = current[service];
      const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]))
        .rowCount;
      let password = stored?.user === user ? stored.password : undefined;
      if (!exists || !password || !(await canLogIn(url, database, user, password))) {
        password = randomBytes(24).toString('base64url');
        // DDL takes no bind parameters; the driver's own escaping quotes the literal.
        const verb = exists ? 'ALTER' : 'CREATE';
        await admin.query(
          `${verb} ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD ${admin.escapeLiteral(password)}`,
        );
      }
      const schema = admin.escapeIdentifier(service);
      await admin.query(`GRANT CONNECT ON DATABASE ${db} TO ${role}`);
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${role}`);
      await admin.query(`ALTER SCHEMA ${schema} OWNER TO ${role}`);
      await admin.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
      await admin.query(`ALTER ROLE ${role} IN DATABASE ${db} SET search_path = ${schema}`);
      result[service] = {
        host: url.hostname,
        port: Number(url.port || 5432),
        database,
        user,
        password,
      };
    }
  } finally {
    await admin.end();
  }
  return result;
}

/** `citadel_order` for database `citadel`: role names are cluster-wide, so they carry the database. */
export function roleName(database: string, service: string): string {
  return `${database}_${service}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

async function canLogIn(url: URL, database: string, user: string, password: string) {
  const client = new pg.Client({
    host: url.hostname,
    port: Number(url.port || 5432),
    database,
    user,
    password,
  });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
