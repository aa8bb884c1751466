import { openServiceDatabase, sql, type ServiceDatabase } from '@citadel/database';
import { ORDER_MIGRATIONS, type OrderDatabase } from './order.migrations.js';
import { OrderRepository, type StoredOrder } from './order.repository.js';

const order = (id: string): StoredOrder => ({
  id,
  user_id: 'u-alice',
  status: 'pending',
  items: [{ sku: 'CIT-MUG', quantity: 1, unit_price_cents: 1200 }],
  total_cents: 1200,
  currency: 'EUR',
  payment_id: '',
  failure_reason: '',
  created_at: new Date().toISOString(),
  paymentToken: 'tok_visa',
  idempotencyKey: null,
  requestHash: null,
});

describe('OrderRepository read cache (one-writer embedded database)', () => {
  let database: ServiceDatabase<OrderDatabase>;
  let orders: OrderRepository;
  beforeAll(async () => {
    database = await openServiceDatabase<OrderDatabase>(
      'order',
      { kind: 'embedded-memory' },
      ORDER_MIGRATIONS,
    );
    orders = new OrderRepository(database.db, { cacheReads: true });
  });
  afterAll(() => database.close());

  it('serves repeated reads from memory and follows its own writes', async () => {
    await orders.insert(order('00000000-0000-4000-8000-000000000001'));
    const id = '00000000-0000-4000-8000-000000000001';
    expect((await orders.findById(id))?.status).toBe('pending');
    // Proof the second read comes from memory: the row changed behind the cache's back.
    await sql`update orders set total_cents = 1 where id = ${id}`.execute(database.db);
    expect((await orders.findById(id))?.total_cents).toBe(1200);
    // A write through the repository replaces the cached order with the stored row.
    await orders.transition(id, 'pending', { status: 'paid', payment_id: 'p-1' });
    expect(await orders.findById(id)).toMatchObject({ status: 'paid', total_cents: 1 });
  });

  it('drops a cached order a transition found in another state', async () => {
    const id = '00000000-0000-4000-8000-000000000002';
    await orders.insert(order(id));
    await orders.findById(id);
    await sql`update orders set status = 'cancelled' where id = ${id}`.execute(database.db);
    expect(await orders.transition(id, 'pending', { status: 'paid' })).toBeUndefined();
    expect((await orders.findById(id))?.status).toBe('cancelled');
  });

  it('hands out copies: a caller cannot change what the next one reads', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    const first = (await orders.findById(id))!;
    first.status = 'refunded';
    expect((await orders.findById(id))?.status).toBe('paid');
  });
});
