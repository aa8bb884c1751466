import {
  AUDIT_APPEND_ONLY_MIGRATION,
  AUDIT_LOG_MIGRATION,
  chainHash,
  toAuditRow,
  GENESIS_HASH,
  type AuditDatabase,
  type AuditOutcome,
} from '@citadel/audit';
import { sql, type Generated, type Kysely, type Migration } from '@citadel/database';

/** The order service's schema: the catalogue and the orders. Money is integer minor units. */
export const ORDER_MIGRATIONS: Record<string, Migration> = {
  '001-catalogue-and-orders': {
    async up(db) {
      await db.schema
        .createTable('products')
        .addColumn('sku', 'text', (column) => column.primaryKey())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('price_cents', 'bigint', (column) =>
          column.notNull().check(sql`price_cents > 0`),
        )
        .addColumn('currency', 'char(3)', (column) => column.notNull())
        .execute();
      await db
        .insertInto('products')
        .values([
          { sku: 'CIT-MUG', name: 'Citadel mug', price_cents: 1200, currency: 'EUR' },
          { sku: 'CIT-TEE', name: 'Zero-trust T-shirt', price_cents: 2500, currency: 'EUR' },
          { sku: 'CIT-KEY', name: 'Hardware security key', price_cents: 4900, currency: 'EUR' },
          {
            sku: 'CIT-BOOK',
            name: 'Securing Microservices (paperback)',
            price_cents: 3900,
            currency: 'EUR',
          },
        ])
        .execute();
      await db.schema
        .createTable('orders')
        .addColumn('id', 'uuid', (column) => column.primaryKey())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('status', 'text', (column) =>
          column
            .notNull()
            .check(sql`status in ('pending', 'paid', 'payment_failed', 'cancelled', 'refunded')`),
        )
        .addColumn('items', 'jsonb', (column) => column.notNull())
        .addColumn('total_cents', 'bigint', (column) => column.notNull())
        .addColumn('currency', 'char(3)', (column) => column.notNull())
        .addColumn('payment_id', 'text', (column) => column.notNull().defaultTo(''))
        .addColumn('payment_token', 'text', (column) => column.notNull())
        .addColumn('failure_reason', 'text', (column) => column.notNull().defaultTo(''))
        // The client's Idempotency-Key, scoped to the user, and a hash of what it asked for.
        .addColumn('idempotency_key', 'text')
        .addColumn('request_hash', 'text')
        .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('orders_user_idempotency_key', ['user_id', 'idempotency_key'])
        .execute();
      await db.schema.createIndex('orders_user_id').on('orders').column('user_id').execute();
    },
  },
};

ORDER_MIGRATIONS['002-audit-and-alerts'] = {
  async up(db) {
    // Append-only by use: the service only ever inserts here.
    await db.schema
      .createTable('audit_events')
      .addColumn('id', 'bigserial', (column) => column.primaryKey())
      .addColumn('at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
      .addColumn('actor', 'text', (column) => column.notNull())
      .addColumn('action', 'text', (column) => column.notNull())
      .addColumn('target', 'text', (column) => column.notNull())
      .addColumn('outcome', 'text', (column) => column.notNull())
      .addColumn('trace_id', 'text', (column) => column.notNull().defaultTo(''))
      .execute();
    await db.schema
      .createIndex('audit_events_actor_action_at')
      .on('audit_events')
      .columns(['actor', 'action', 'at'])
      .execute();
    await db.schema
      .createTable('alerts')
      .addColumn('id', 'uuid', (column) => column.primaryKey())
      .addColumn('rule', 'text', (column) => column.notNull())
      .addColumn('actor', 'text', (column) => column.notNull())
      .addColumn('raised_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
      .addColumn('detail', 'text', (column) => column.notNull())
      .execute();
  },
};

export interface ProductsTable {
  sku: string;
  name: string;
  price_cents: string | number;
  currency: string;
}

export interface OrdersTable {
  id: string;
  user_id: string;
  status: 'pending' | 'paid' | 'payment_failed' | 'cancelled' | 'refunded';
  items: string | { sku: string; quantity: number; unit_price_cents: number }[];
  total_cents: string | number;
  currency: string;
  payment_id: Generated<string>;
  payment_token: string;
  failure_reason: Generated<string>;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: Generated<Date | string>;
}

/** Before 003: the unchained audit table, migrated into `audit_log` and dropped. */
interface AuditEventsTable {
  id: Generated<string>;
  at: Generated<Date | string>;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  trace_id: string;
}

export interface OrderDatabase extends AuditDatabase {
  products: ProductsTable;
  orders: OrdersTable;
}

ORDER_MIGRATIONS['003-hash-chained-audit'] = {
  async up(db) {
    await AUDIT_LOG_MIGRATION.up(db);
    // Carry the records of 002 into the chain, in order, so no history is lost.
    const legacy = db as unknown as Kysely<{ audit_events: AuditEventsTable }>;
    const rows = await legacy.selectFrom('audit_events').selectAll().orderBy('id').execute();
    let prevHash = GENESIS_HASH;
    for (const [index, row] of rows.entries()) {
      const record = {
        seq: index + 1,
        time: new Date(row.at as string).toISOString(),
        service: 'order',
        actor: row.actor,
        action: row.action,
        target: row.target,
        outcome: row.outcome as AuditOutcome,
        callerService: 'gateway',
        traceId: row.trace_id,
        detail: '',
        prevHash,
      };
      const hash = chainHash(record);
      await db
        .insertInto('audit_log')
        .values(toAuditRow({ ...record, hash }))
        .execute();
      prevHash = hash;
    }
    await db.schema.dropTable('audit_events').execute();
  },
};

// Databases made before the audit log was append-only get its triggers (a no-op on new ones).
ORDER_MIGRATIONS['004-audit-append-only'] = AUDIT_APPEND_ONLY_MIGRATION;
