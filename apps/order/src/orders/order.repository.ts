import type { Order } from '@citadel/contracts';
import type { Kysely, Selectable } from '@citadel/database';
import type { OrderDatabase, OrdersTable } from './order.migrations.js';

/**
 * An order as stored: the message (its status one the table allows; the contract carries
 * it as a string) plus what idempotency needs.
 */
export interface StoredOrder extends Order {
  status: OrdersTable['status'];
  paymentToken: string;
  idempotencyKey: string | null;
  requestHash: string | null;
}

/**
 * Orders in the order service's own schema; every query is parameterised by Kysely.
 * Reads go to the database every time: replicas share a PostgreSQL schema, and a copy
 * kept in one process would serve an order another replica has since refunded.
 */
export class OrderRepository {
  constructor(private readonly db: Kysely<OrderDatabase>) {}

  /**
   * The same repository on `trx` (AuditLog.transaction's): its writes commit or roll back
   * with that transaction, and so with the audit records made in it.
   */
  within(trx: Kysely<OrderDatabase>): OrderRepository {
    return new OrderRepository(trx);
  }

  async findById(id: string): Promise<StoredOrder | undefined> {
    const row = await this.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async findByIdempotencyKey(userId: string, key: string): Promise<StoredOrder | undefined> {
    const row = await this.db
      .selectFrom('orders')
      .selectAll()
      .where('user_id', '=', userId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async list(filter: { userId?: string } = {}): Promise<StoredOrder[]> {
    let query = this.db.selectFrom('orders').selectAll().orderBy('created_at', 'desc').limit(500);
    if (filter.userId) query = query.where('user_id', '=', filter.userId);
    return (await query.execute()).map(fromRow);
  }

  /**
   * Inserts a new order; false when the user already used this idempotency key. The
   * conflict is skipped, not raised: a unique violation would abort the transaction the
   * insert runs in, and with it everything else done there.
   */
  async insert(order: StoredOrder): Promise<boolean> {
    const inserted = await this.db
      .insertInto('orders')
      .values({
        id: order.id,
        user_id: order.user_id,
        status: order.status,
        items: JSON.stringify(order.items),
        total_cents: order.total_cents,
        currency: order.currency,
        payment_token: order.paymentToken,
        idempotency_key: order.idempotencyKey,
        request_hash: order.requestHash,
        created_at: order.created_at,
      })
      .onConflict((conflict) => conflict.columns(['user_id', 'idempotency_key']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  /** Moves an order from one status to the next; undefined when it was not in `from`. */
  async transition(
    id: string,
    from: StoredOrder['status'],
    to: Pick<StoredOrder, 'status'> & Partial<Pick<StoredOrder, 'payment_id' | 'failure_reason'>>,
  ): Promise<StoredOrder | undefined> {
    const row = await this.db
      .updateTable('orders')
      .set(to)
      .where('id', '=', id)
      .where('status', '=', from)
      .returningAll()
      .executeTakeFirst();
    return row && fromRow(row);
  }
}

function fromRow(row: Selectable<OrdersTable>): StoredOrder {
  const items = typeof row.items === 'string' ? JSON.parse(row.items) : row.items;
  return {
    id: row.id,
    user_id: row.user_id,
    status: row.status,
    items,
    total_cents: Number(row.total_cents),
    currency: row.currency,
    payment_id: row.payment_id,
    failure_reason: row.failure_reason,
    created_at: new Date(row.created_at).toISOString(),
    paymentToken: row.payment_token,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
  };
}
