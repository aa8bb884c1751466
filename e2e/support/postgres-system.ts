import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import vault from 'node-vault';
import pg from 'pg';
import { DATA_SERVICES, type DataServiceName } from '@citadel/config';
import type { RunningSystem } from '@citadel/launcher';
import { secretPaths } from '@citadel/secrets';
import { LOCAL_POSTGRES_ADMIN } from '@citadel/testing';
import { bootOwnSystem } from './own-system.js';

/** The data services of the registry: each has its own login role and schema on PostgreSQL. */
export type DataService = DataServiceName;

/** A service's database login, as Vault delivers it to the service. */
export interface Credentials {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/**
 * A system of the spec's own on this machine's PostgreSQL, in a database made for it, and
 * each data service's own credentials read from Vault with the root token. `dispose` stops
 * the system, drops the database and the roles the bootstrap made for it.
 */
export async function bootOnFreshPostgres(): Promise<{
  system: RunningSystem;
  database: string;
  credentials: Record<DataService, Credentials>;
  dispose(): Promise<void>;
}> {
  const database = `citadel_e2e_${randomBytes(4).toString('hex')}`;
  await asAdmin((client) => client.query(`CREATE DATABASE ${database}`));
  let own: Awaited<ReturnType<typeof bootOwnSystem>> | undefined;
  const dispose = async () => {
    await own?.dispose();
    await asAdmin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      for (const service of DATA_SERVICES)
        await client.query(`DROP ROLE IF EXISTS ${database}_${service}`);
    });
  };
  try {
    own = await bootOwnSystem({
      databaseAdminUrl: `postgres://${LOCAL_POSTGRES_ADMIN.user}@${LOCAL_POSTGRES_ADMIN.host}:${LOCAL_POSTGRES_ADMIN.port}/${database}`,
    });
    const root = vault({ endpoint: own.system.vault.addr });
    root.token = fs.readFileSync(path.join(own.home, 'vault', 'root-token'), 'utf8').trim();
    const credentials = {} as Record<DataService, Credentials>;
    for (const service of DATA_SERVICES) {
      credentials[service] = (
        await root.read(`secret/data/${secretPaths.database(service)}`)
      ).data.data;
    }
    return { system: own.system, database, credentials, dispose };
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
): Promise<T> {
  const client = new pg.Client({ ...LOCAL_POSTGRES_ADMIN, database });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
