import {
  appendOnlyTable,
  AUDIT_LOG_MIGRATION,
  type AuditDatabase,
  type AuditLogTable,
} from '@citadel/audit';
import { sql, type Migration } from '@citadel/database';

/**
 * The monitor's schema: its copy of every service's audit chain, the breaks it found in
 * them and the alerts it raised, plus its own audit trail. All of it is evidence, so every
 * table is append-only for the monitor's own role too (`appendOnlyTable`): a compromised
 * monitor process can add to the record, never rewrite it. A chain's head is derived
 * (its highest seq), never a row that could be updated. Add migrations; never edit
 * applied ones, and create a table complete before guarding it (the guard refuses
 * ALTER TABLE afterwards).
 */
export const MONITOR_MIGRATIONS: Record<string, Migration> = {
  '001-audit-log': AUDIT_LOG_MIGRATION,
  '002-received-records': {
    async up(db) {
      await db.schema
        .createTable('received_records')
        .addColumn('service', 'text', (column) => column.notNull())
        .addColumn('seq', 'bigint', (column) => column.notNull())
        // The record's own fields, byte for byte as hashed (time is text for that reason).
        .addColumn('time', 'text', (column) => column.notNull())
        .addColumn('actor', 'text', (column) => column.notNull())
        .addColumn('action', 'text', (column) => column.notNull())
        .addColumn('target', 'text', (column) => column.notNull())
        .addColumn('outcome', 'text', (column) => column.notNull())
        .addColumn('caller_service', 'text', (column) => column.notNull())
        .addColumn('trace_id', 'text', (column) => column.notNull())
        .addColumn('detail', 'text', (column) => column.notNull())
        .addColumn('prev_hash', 'text', (column) => column.notNull())
        .addColumn('hash', 'text', (column) => column.notNull())
        .addColumn('received_at', 'timestamptz', (column) => column.notNull())
        // Facts the rules aggregate, read from `detail` once, when the record arrives.
        .addColumn('amount_cents', 'bigint')
        .addColumn('client_ip', 'text')
        .addPrimaryKeyConstraint('received_records_pk', ['service', 'seq'])
        .execute();
      // The rules' windows: by actor, and by client address, over record time.
      await db.schema
        .createIndex('received_records_actor_time')
        .on('received_records')
        .columns(['actor', 'time'])
        .execute();
      await db.schema
        .createIndex('received_records_client_ip_time')
        .on('received_records')
        .columns(['client_ip', 'time'])
        .where(sql.ref('client_ip'), 'is not', null)
        .execute();
    },
  },
  '003-received-records-append-only': appendOnlyTable('received_records'),
  '004-chain-breaks': {
    async up(db) {
      await db.schema
        .createTable('chain_breaks')
        .addColumn('service', 'text', (column) => column.notNull())
        .addColumn('seq', 'bigint', (column) => column.notNull())
        .addColumn('kind', 'text', (column) => column.notNull())
        .addColumn('detail', 'text', (column) => column.notNull())
        .addColumn('noted_at', 'timestamptz', (column) => column.notNull())
        // A break is noted once: the chain refuses deliveries from then on.
        .addPrimaryKeyConstraint('chain_breaks_pk', ['service', 'seq', 'kind'])
        .execute();
    },
  },
  '005-chain-breaks-append-only': appendOnlyTable('chain_breaks'),
  '006-alerts': {
    async up(db) {
      await db.schema
        .createTable('alerts')
        .addColumn('id', 'uuid', (column) => column.primaryKey())
        .addColumn('rule', 'text', (column) => column.notNull())
        .addColumn('service', 'text', (column) => column.notNull())
        .addColumn('actor', 'text', (column) => column.notNull())
        .addColumn('severity', 'text', (column) =>
          column.notNull().check(sql`severity in ('warning', 'critical')`),
        )
        .addColumn('detail', 'text', (column) => column.notNull())
        .addColumn('trace_id', 'text', (column) => column.notNull())
        .addColumn('raised_at', 'timestamptz', (column) => column.notNull())
        .addColumn('window_key', 'text', (column) => column.notNull())
        // One alert per rule and key per window, whichever delivery (or replica) gets there first.
        .addUniqueConstraint('alerts_once_per_window', ['rule', 'actor', 'window_key'])
        .execute();
      await db.schema.createIndex('alerts_raised_at').on('alerts').column('raised_at').execute();
    },
  },
  '007-alerts-append-only': appendOnlyTable('alerts'),
};

/** A record as its service stored it (the same row as its `audit_log`), and what arrived with it. */
export interface ReceivedRecordsTable extends AuditLogTable {
  received_at: Date | string;
  amount_cents: number | string | null;
  client_ip: string | null;
}

export interface ChainBreaksTable {
  service: string;
  seq: number | string;
  kind: string;
  detail: string;
  noted_at: Date | string;
}

export interface AlertsTable {
  id: string;
  rule: string;
  service: string;
  actor: string;
  severity: 'warning' | 'critical';
  detail: string;
  trace_id: string;
  raised_at: Date | string;
  window_key: string;
}

export interface MonitorDatabase extends AuditDatabase {
  received_records: ReceivedRecordsTable;
  chain_breaks: ChainBreaksTable;
  alerts: AlertsTable;
}
