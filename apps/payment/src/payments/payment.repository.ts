import { isUniqueViolation, type Kysely, type Selectable } from '@citadel/database';
import type { Payment } from '@citadel/contracts';
import type { PaymentDatabase, PaymentsTable } from './payment.migrations.js';

/** A payment as stored: the message (its status one the table allows) and its idempotency. */
export interface StoredPayment extends Payment {
  status: PaymentsTable['status'];
  idempotencyKey: string;
  paymentToken: string;
}

/** Payments in the payment service's own schema; every query is parameterised by Kysely. */
export class PaymentRepository {
  constructor(private readonly db: Kysely<PaymentDatabase>) {}

  /**
   * The same repository on `trx` (AuditLog.transaction's): its writes commit or roll back
   * with that transaction, and so with the audit records made in it.
   */
  within(trx: Kysely<PaymentDatabase>): PaymentRepository {
    return new PaymentRepository(trx);
  }

  async findById(id: string): Promise<StoredPayment | undefined> {
    const row = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async findByIdempotencyKey(key: string): Promise<StoredPayment | undefined> {
    const row = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** Inserts a new payment; false when its idempotency key is already taken (a duplicate). */
  async insert(payment: StoredPayment): Promise<boolean> {
    try {
      await this.db
        .insertInto('payments')
        .values({
          id: payment.id,
          order_id: payment.order_id,
          user_id: payment.user_id,
          amount_cents: payment.amount_cents,
          refunded_cents: 0,
          currency: payment.currency,
          status: payment.status,
          decline_reason: '',
          payment_token: payment.paymentToken,
          idempotency_key: payment.idempotencyKey,
          created_at: payment.created_at,
        })
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /**
   * Records the provider's answer for a pending payment; undefined when it was no longer
   * pending (a concurrent capture settled it first).
   */
  async settleCapture(
    id: string,
    outcome: { status: 'captured' | 'declined'; reason: string },
  ): Promise<StoredPayment | undefined> {
    const row = await this.db
      .updateTable('payments')
      .set({ status: outcome.status, decline_reason: outcome.reason })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /**
   * Refunds the whole remaining amount, atomically: only a captured payment moves to
   * refunded, so two concurrent refunds cannot both pay out.
   */
  async refundInFull(id: string): Promise<StoredPayment | undefined> {
    const row = await this.db
      .updateTable('payments')
      .set((eb) => ({ status: 'refunded', refunded_cents: eb.ref('amount_cents') }))
      .where('id', '=', id)
      .where('status', '=', 'captured')
      .returningAll()
      .executeTakeFirst();
    return row && fromRow(row);
  }
}

function fromRow(row: Selectable<PaymentsTable>): StoredPayment {
  return {
    id: row.id,
    order_id: row.order_id,
    user_id: row.user_id,
    amount_cents: Number(row.amount_cents),
    refunded_cents: Number(row.refunded_cents),
    currency: row.currency,
    status: row.status,
    decline_reason: row.decline_reason,
    created_at: new Date(row.created_at).toISOString(),
    idempotencyKey: row.idempotency_key,
    paymentToken: row.payment_token,
  };
}
