import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import vault from 'node-vault';
import pg from 'pg';
import { DATA_SERVICES, type DataServiceName } from '@citadel/config';
import type { RunningSystem } from '@citadel/launcher';
import { databaseCredentialsPath, secretPaths } from '@citadel/secrets';
import { LOCAL_POSTGRES_ADMIN } from '@citadel/testing';
import { bootOwnSystem } from './own-system.js';

/** The data services of the registry: each has its own login role and schema on PostgreSQL. */
export type DataService = DataServiceName;

/** A service's database login, as Vault delivers it to the service (the password as of boot). */
export interface Credentials {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** A PostgreSQL server and its superuser (this machine's, unless a spec starts its own). */
export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  /** Absent for this machine's server (trust auth for local logins). */
  password?: string;
  database: string;
}

/**
 * A system of the spec's own on this machine's PostgreSQL (or `server`), in a database made
 * for it, and each data service's own credentials read from Vault with the root token.
 * `dispose` stops the system, drops the database and the roles the bootstrap made for it.
 */
export async function bootOnFreshPostgres(server: PostgresServer = LOCAL_POSTGRES_ADMIN): Promise<{
  system: RunningSystem;
  database: string;
  home: string;
  credentials: Record<DataService, Credentials>;
  dispose(): Promise<void>;
}> {
  const database = `citadel_e2e_${randomBytes(4).toString('hex')}`;
  await asAdmin((client) => client.query(`CREATE DATABASE ${database}`), server.database, server);
  let own: Awaited<ReturnType<typeof bootOwnSystem>> | undefined;
  const dispose = async () => {
    await own?.dispose();
    await asAdmin(
      async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        for (const service of DATA_SERVICES)
          await client.query(`DROP ROLE IF EXISTS ${database}_${service}`);
      },
      server.database,
      server,
    );
  };
  const login = server.password
    ? `${server.user}:${encodeURIComponent(server.password)}`
    : server.user;
  try {
    own = await bootOwnSystem({
      databaseAdminUrl: `postgres://${login}@${server.host}:${server.port}/${database}`,
    });
    const root = vault({ endpoint: own.system.vault.addr });
    root.token = fs.readFileSync(path.join(own.home, 'vault', 'root-token'), 'utf8').trim();
    const credentials = {} as Record<DataService, Credentials>;
    for (const service of DATA_SERVICES) {
      // Where the role logs in from KV; its password from Vault's database engine, which
      // rotates it (a spec that rotates it reads it again).
      const { host, port, database, user } = (
        await root.read(`secret/data/${secretPaths.database(service)}`)
      ).data.data;
      const { password } = (await root.read(databaseCredentialsPath(service))).data;
      credentials[service] = { host, port, database, user, password };
    }
    return { system: own.system, database, home: own.home, credentials, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/**
 * Runs `statements` in one transaction as a service's own login role: the last one's rows,
 * or the SQLSTATE of the first that PostgreSQL refused (and nothing of the transaction kept).
 */
export async function asRole(
  credentials: Credentials,
  ...statements: string[]
): Promise<{ rows: Record<string, unknown>[]; code: string | undefined }> {
  const client = new pg.Client(credentials);
  await client.connect();
  try {
    await client.query('BEGIN');
    let rows: Record<string, unknown>[] = [];
    for (const statement of statements) rows = (await client.query(statement)).rows;
    await client.query('COMMIT');
    return { rows, code: undefined };
  } catch (error) {
    return { rows: [], code: (error as { code?: string }).code };
  } finally {
    await client.end();
  }
}

/** Runs `work` on a connection as this machine's PostgreSQL superuser (`database`, else its default). */
export async function asAdmin<T>(
  work: (client: pg.Client) => Promise<T>,
  database: string = LOCAL_POSTGRES_ADMIN.database,
  server: PostgresServer = LOCAL_POSTGRES_ADMIN,
): Promise<T> {
  const client = new pg.Client({ ...server, database });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
