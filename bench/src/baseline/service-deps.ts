import { AuditLog, type AuditDatabase } from '@citadel/audit';
import type { GrpcServiceName, ServiceEnv } from '@citadel/config';
import {
  openServiceDatabase,
  type Kysely,
  type Migration,
  type ServiceDatabase,
} from '@citadel/database';
import type { Logger } from '@citadel/observability';
import { openServiceVault, readDatabaseConfig, type VaultSession } from '@citadel/secrets';

export interface BaselineServiceDeps<DB> {
  vault: VaultSession;
  db: Kysely<DB>;
  audit: AuditLog;
  /** Closes the database and the Vault session. */
  release: () => Promise<void>;
}

/**
 * What serviceMain sets up for a data service, the same way, so both sides use the same
 * storage: its Vault session (AppRole), its own database (embedded, or its role and schema
 * on PostgreSQL) migrated, and its audit trail. No mTLS identity is read.
 */
export async function openBaselineService<DB extends AuditDatabase>(
  service: GrpcServiceName,
  migrations: Record<string, Migration>,
  env: ServiceEnv,
  logger: Logger,
): Promise<BaselineServiceDeps<DB>> {
  const vault = await openServiceVault(env, service, logger);
  let database: ServiceDatabase<DB>;
  try {
    database = await openServiceDatabase<DB>(
      service,
      await readDatabaseConfig(vault, service, env.CITADEL_HOME),
      migrations,
    );
  } catch (error) {
    vault.close();
    throw error;
  }
  logger.info({ event: 'database.ready', kind: database.kind }, `${service} database ready`);
  return {
    vault,
    db: database.db,
    // DB extends AuditDatabase, which Kysely's invariant generics cannot see on their own.
    audit: new AuditLog(database.db as unknown as Kysely<AuditDatabase>, service),
    release: async () => {
      vault.close();
      await database.close();
    },
  };
}
