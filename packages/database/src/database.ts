import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import pg from 'pg';
import { PGlitePool } from './pglite-pool.js';
import { RotatingPasswordPool, type RotatingPassword } from './rotating-password.js';

/** Where a service's data lives: embedded PostgreSQL, or a real server with its own role. */
export type DatabaseConfig =
  | { kind: 'embedded'; dataDir: string }
  | { kind: 'embedded-memory' }
  | {
      kind: 'postgres';
      host: string;
      port: number;
      database: string;
      user: string;
      /**
       * A fixed password, or one that rotates (Vault's database engine): then each new
       * connection asks for it, and one refused with 28P01 is retried once with a fresh one.
       */
      password: string | RotatingPassword;
      ssl?: boolean;
    };

export interface ServiceDatabase<DB> {
  /** Queries run in the service's own schema. */
  db: Kysely<DB>;
  kind: DatabaseConfig['kind'];
  close(): Promise<void>;
}

/**
 * Opens a service's database and applies its migrations. One schema per service, named
 * after it: on real PostgreSQL that schema belongs to the service's own login role and no
 * other service's role is granted anything in it (attack point 4). Embedded mode uses the
 * same schema and migrations in a database directory of its own.
 */
export async function openServiceDatabase<DB>(
  service: string,
  config: DatabaseConfig,
  migrations: Record<string, Migration>,
): Promise<ServiceDatabase<DB>> {
  const schema = service;
  let dialect: PostgresDialect;
  if (config.kind === 'postgres') {
    const { password } = config;
    const pool = new pg.Pool({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.user,
      // node-postgres calls a password function for every new connection it opens.
      password: typeof password === 'string' ? password : () => password.current(),
      ssl: config.ssl ? { rejectUnauthorized: true } : undefined,
      max: 10,
      // Unqualified names resolve to the service's schema and nothing else.
      options: `-c search_path=${schema}`,
    });
    // An idle connection the server closes (a restart, idle_session_timeout, an admin's
    // pg_terminate_backend) is an 'error' on the pool; unheard, it would end the process.
    // The pool has already dropped that connection, and the next borrower gets a new one.
    pool.on('error', () => undefined);
    dialect = new PostgresDialect({
      pool: typeof password === 'string' ? pool : new RotatingPasswordPool(pool, password),
    });
  } else {
    if (config.kind === 'embedded') fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const lite = new PGlite(config.kind === 'embedded' ? config.dataDir : undefined);
    await lite.waitReady;
    await lite.exec(`CREATE SCHEMA IF NOT EXISTS "${schema}"; SET search_path TO "${schema}"`);
    dialect = new PostgresDialect({ pool: new PGlitePool(lite) });
  }
  const root = new Kysely<DB>({ dialect });
  const db = root.withSchema(schema);
  try {
    await migrate(root, schema, migrations);
  } catch (error) {
    await root.destroy();
    throw error;
  }
  return { db, kind: config.kind, close: () => root.destroy() };
}

async function migrate<DB>(
  db: Kysely<DB>,
  schema: string,
  migrations: Record<string, Migration>,
): Promise<void> {
  const migrator = new Migrator({
    db: db.withSchema(schema) as unknown as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new Error(
      `${schema}: migration ${failed ?? '(unknown)'} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Whether an error from PostgreSQL is a unique-constraint violation (SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === '23505';
}

export { sql };
