import { sql, type Kysely, type Migration } from '@citadel/database';

/** The tables every service's audit trail lives in, inside the service's own schema. */
export interface AuditDatabase {
  audit_log: AuditLogTable;
  alerts: AlertsTable;
}

export interface AuditLogTable {
  seq: number | string;
  /** ISO 8601 UTC, stored as text so the hashed value and the stored one are the same bytes. */
  time: string;
  service: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  caller_service: string;
  trace_id: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

export interface AlertsTable {
  id: string;
  rule: string;
  actor: string;
  raised_at: Date | string;
  detail: string;
}

/**
 * Creates the audit tables. A service adds this to its own migrations under its next
 * number (`'004-audit-log': AUDIT_LOG_MIGRATION`), so one schema and one set of
 * migrations serve the embedded default and PostgreSQL alike.
 */
export const AUDIT_LOG_MIGRATION: Migration = {
  async up(db: Kysely<unknown>) {
    // Append-only by use: the service only ever inserts here; `seq` is assigned under a
    // lock, without gaps, so a deleted record shows as a hole in the chain.
    await db.schema
      .createTable('audit_log')
      .addColumn('seq', 'bigint', (column) => column.primaryKey())
      .addColumn('time', 'text', (column) => column.notNull())
      .addColumn('service', 'text', (column) => column.notNull())
      .addColumn('actor', 'text', (column) => column.notNull())
      .addColumn('action', 'text', (column) => column.notNull())
      .addColumn('target', 'text', (column) => column.notNull())
      .addColumn('outcome', 'text', (column) => column.notNull())
      .addColumn('caller_service', 'text', (column) => column.notNull())
      .addColumn('trace_id', 'text', (column) => column.notNull())
      .addColumn('detail', 'text', (column) => column.notNull())
      .addColumn('prev_hash', 'text', (column) => column.notNull())
      .addColumn('hash', 'text', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('audit_log_actor_action_time')
      .on('audit_log')
      .columns(['actor', 'action', 'time'])
      .execute();
    await db.schema.createIndex('audit_log_trace_id').on('audit_log').column('trace_id').execute();
    await db.schema
      .createTable('alerts')
      .ifNotExists()
      .addColumn('id', 'uuid', (column) => column.primaryKey())
      .addColumn('rule', 'text', (column) => column.notNull())
      .addColumn('actor', 'text', (column) => column.notNull())
      .addColumn('raised_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
      .addColumn('detail', 'text', (column) => column.notNull())
      .execute();
  },
};
