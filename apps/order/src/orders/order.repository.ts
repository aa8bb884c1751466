import type { Order } from '@citadel/contracts';
import { isUniqueViolation, type Kysely, type Selectable } from '@citadel/database';
import type { OrderDatabase, OrdersTable } from './order.migrations.js';

/** An order as stored: the message plus what idempotency needs. */
export interface StoredOrder extends Order {
  paymentToken: string;
  idempotencyKey: string | null;
  requestHash: string | null;
}

const CACHED_ORDERS = 20_000;

/**
 * Orders in the order service's own schema; every query is parameterised by Kysely.
 *
 * With `cacheReads`, orders read by id are kept in memory and every write here updates
 * or drops them. That is only correct when this process is the database's one writer:
 * true of the embedded database (PGlite opens a data directory in one process only), not
 * of a PostgreSQL server that several replicas share, so main.ts enables it for the
 * embedded database alone.
 */
export class OrderRepository {
  private readonly cache: Map<string, Readonly<StoredOrder>> | undefined;

  constructor(
    private readonly db: Kysely<OrderDatabase>,
    options: { cacheReads?: boolean } = {},
  ) {
    this.cache = options.cacheReads ? new Map() : undefined;
  }

  async findById(id: string): Promise<StoredOrder | undefined> {
    const cached = this.cache?.get(id);
    if (cached) return { ...cached };
    const row = await this.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const order = fromRow(row);
    this.remember(order);
    return order;
  }

  private remember(order: StoredOrder): void {
    if (!this.cache) return;
    if (this.cache.size >= CACHED_ORDERS) this.cache.delete(this.cache.keys().next().value!);
    const items = Object.freeze(order.items.map((item) => Object.freeze({ ...item })));
    this.cache.set(order.id, Object.freeze({ ...order, items: items as StoredOrder['items'] }));
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

  /** Inserts a new order; false when the user already used this idempotency key. */
  async insert(order: StoredOrder): Promise<boolean> {
    try {
      await this.db
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
        .execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
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
    if (!row) {
      // Not in `from` after all: whatever is cached is stale.
      this.cache?.delete(id);
      return undefined;
    }
    const order = fromRow(row);
    this.cache?.delete(id);
    this.remember(order);
    return order;
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
