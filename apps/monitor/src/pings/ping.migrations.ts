import { AUDIT_LOG_MIGRATION, type AuditDatabase } from '@citadel/audit';
import { sql, type Generated, type Migration } from '@citadel/database';

/**
 * The monitor service's schema, in its own PostgreSQL schema (its own login role on a
 * real server, its own embedded database locally). Add migrations; never edit applied ones.
 */
export const MONITOR_MIGRATIONS: Record<string, Migration> = {
  '001-audit-log': AUDIT_LOG_MIGRATION,
  '002-pings': {
    async up(db) {
      await db.schema
        .createTable('pings')
        .addColumn('id', 'uuid', (column) => column.primaryKey())
        .addColumn('caller', 'text', (column) => column.notNull())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('pings_user_id').on('pings').column('user_id').execute();
    },
  },
};

export interface PingsTable {
  id: string;
  caller: string;
  user_id: string;
  at: Generated<Date | string>;
}

export interface MonitorDatabase extends AuditDatabase {
  pings: PingsTable;
}
