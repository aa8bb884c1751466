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

// Replicas share one PostgreSQL schema: what one replica writes, the next read anywhere
// must see. So the repository keeps no copy of an order between calls.
describe('OrderRepository reads', () => {
  let database: ServiceDatabase<OrderDatabase>;
  let orders: OrderRepository;
  beforeAll(async () => {
    database = await openServiceDatabase<OrderDatabase>(
      'order',
      { kind: 'embedded-memory' },
      ORDER_MIGRATIONS,
    );
    orders = new OrderRepository(database.db);
  });
  afterAll(() => database.close());

  it('sees a write another replica made, on the very next read', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    await orders.insert(order(id));
    expect((await orders.findById(id))?.status).toBe('pending');
    // Another replica refunds it: a write that never went through this repository.
    await sql`update orders set status = 'refunded' where id = ${id}`.execute(database.db);
    expect((await orders.findById(id))?.status).toBe('refunded');
  });

  it('refuses a transition from a state the order has left behind its back', async () => {
    const id = '00000000-0000-4000-8000-000000000002';
    await orders.insert(order(id));
    await orders.findById(id);
    await sql`update orders set status = 'cancelled' where id = ${id}`.execute(database.db);
    expect(await orders.transition(id, 'pending', { status: 'paid' })).toBeUndefined();
    expect((await orders.findById(id))?.status).toBe('cancelled');
  });

  it('hands out its own objects: a caller cannot change what the next one reads', async () => {
    const id = '00000000-0000-4000-8000-000000000002';
    const first = (await orders.findById(id))!;
    first.status = 'refunded';
    expect((await orders.findById(id))?.status).toBe('cancelled');
  });
});
