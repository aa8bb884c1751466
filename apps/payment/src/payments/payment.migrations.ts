import {
  AUDIT_APPEND_ONLY_MIGRATION,
  AUDIT_LOG_MIGRATION,
  type AuditDatabase,
} from '@citadel/audit';
import { sql, type Generated, type Migration } from '@citadel/database';

/** The payment service's schema. Money is integer minor units; a refund never exceeds the charge. */
export const PAYMENT_MIGRATIONS: Record<string, Migration> = {
  '001-payments': {
    async up(db) {
      await db.schema
        .createTable('payments')
        .addColumn('id', 'uuid', (column) => column.primaryKey())
        .addColumn('order_id', 'text', (column) => column.notNull())
        .addColumn('user_id', 'text', (column) => column.notNull())
        .addColumn('amount_cents', 'bigint', (column) =>
          column.notNull().check(sql`amount_cents > 0`),
        )
        .addColumn('refunded_cents', 'bigint', (column) => column.notNull().defaultTo(0))
        .addColumn('currency', 'char(3)', (column) => column.notNull())
        .addColumn('status', 'text', (column) =>
          column.notNull().check(sql`status in ('pending', 'captured', 'declined', 'refunded')`),
        )
        .addColumn('decline_reason', 'text', (column) => column.notNull().defaultTo(''))
        .addColumn('payment_token', 'text', (column) => column.notNull())
        // A retried or duplicated charge finds the first payment instead of making a second.
        .addColumn('idempotency_key', 'text', (column) => column.notNull().unique())
        .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
        .addCheckConstraint('refund_within_charge', sql`refunded_cents between 0 and amount_cents`)
        .execute();
      await db.schema.createIndex('payments_user_id').on('payments').column('user_id').execute();
    },
  },
  '002-audit-log': AUDIT_LOG_MIGRATION,
  // Databases made before the audit log was append-only get its triggers (a no-op on new ones).
  '003-audit-append-only': AUDIT_APPEND_ONLY_MIGRATION,
};

export interface PaymentsTable {
  id: string;
  order_id: string;
  user_id: string;
  amount_cents: string | number;
  refunded_cents: Generated<string | number>;
  currency: string;
  status: 'pending' | 'captured' | 'declined' | 'refunded';
  decline_reason: Generated<string>;
  payment_token: string;
  idempotency_key: string;
  created_at: Generated<Date | string>;
}

export interface PaymentDatabase extends AuditDatabase {
  payments: PaymentsTable;
}
