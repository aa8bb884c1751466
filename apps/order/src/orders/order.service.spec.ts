import type {
  ChargeRequest,
  CreateOrderRequest,
  Draft,
  OrderItem,
  Payment,
} from '@citadel/contracts';
import { openServiceDatabase, sql, type ServiceDatabase } from '@citadel/database';
import { AuditLog } from '@citadel/audit';
import { NotAllowed, type CallContext } from '@citadel/transport';
import { Catalogue } from '../catalogue/catalogue.js';
import {
  ChargeCredentialRefused,
  ChargeRefused,
  ChargeUnanswered,
  IdempotencyKeyReused,
  InvalidOrder,
  OrderNotFound,
  ProductNotInCatalogue,
} from './order.errors.js';
import { ORDER_MIGRATIONS, type OrderDatabase } from './order.migrations.js';
import { OrderRepository } from './order.repository.js';
import { OrderService } from './order.service.js';
import { PaymentsPort, PaymentUndecided, type UndecidedBecause } from './payments.port.js';

/** Payment as order sees it, with the idempotency payment guarantees: one payment per key. */
class FakePayments extends PaymentsPort {
  charges: ChargeRequest[] = [];
  refunds: string[] = [];
  byKey = new Map<string, Payment>();
  down = false;
  /** Payment refuses the call (not the card) so, before charging anything. */
  refuses: PaymentUndecided | undefined;
  async charge(request: ChargeRequest): Promise<Payment> {
    if (this.down) throw new PaymentUndecided('no-answer', 'UNAVAILABLE (down)');
    if (this.refuses) throw this.refuses;
    this.charges.push(request);
    const declined = request.payment_token === 'tok_decline';
    const payment = this.byKey.get(request.idempotency_key) ?? {
      ...request,
      id: `p-${this.byKey.size + 1}`,
      refunded_cents: 0,
      status: declined ? ('declined' as const) : ('captured' as const),
      decline_reason: declined ? 'card_declined' : '',
      created_at: '',
    };
    this.byKey.set(request.idempotency_key, payment);
    return payment;
  }
  async refund(paymentId: string): Promise<Payment> {
    this.refunds.push(paymentId);
    return {} as Payment;
  }
}

describe('OrderService (embedded PostgreSQL)', () => {
  const alice = { caller: 'gateway', user: { id: 'u-alice', role: 'customer' }, jwt: 'jwt-a' };
  const bob = { caller: 'gateway', user: { id: 'u-bob', role: 'customer' }, jwt: 'jwt-b' };
  const sam = { caller: 'gateway', user: { id: 'u-sam', role: 'support_agent' }, jwt: 'jwt-s' };
  const mug: Draft<OrderItem>[] = [{ sku: 'CIT-MUG', quantity: 1 }];
  let database: ServiceDatabase<OrderDatabase>;
  let payments: FakePayments;
  let service: OrderService;
  /** A request as the gRPC server hands it on: every field present, the zero value if unset. */
  const create = (call: CallContext, request: Draft<CreateOrderRequest>) =>
    service.create(call, {
      idempotency_key: '',
      payment_token: '',
      ...request,
      items: (request.items ?? []).map((item) => ({
        sku: '',
        quantity: 0,
        unit_price_cents: 0,
        ...item,
      })),
    });
  let audit: AuditLog;
  let keys = 0;
  const newKey = () => `key-${++keys}`;

  beforeAll(async () => {
    database = await openServiceDatabase<OrderDatabase>(
      'order',
      { kind: 'embedded-memory' },
      ORDER_MIGRATIONS,
    );
  });
  afterAll(() => database.close());
  beforeEach(() => {
    payments = new FakePayments();
    audit = new AuditLog(database.db, 'order');
    service = new OrderService(
      new OrderRepository(database.db),
      new Catalogue(database.db, audit),
      payments,
      audit,
    );
  });

  it('prices from the catalogue and charges with the user JWT and an idempotency key', async () => {
    const order = await create(alice, {
      items: [{ sku: 'CIT-MUG', quantity: 3, unit_price_cents: 1 }],
    });
    expect(order).toMatchObject({ status: 'paid', total_cents: 3600, user_id: 'u-alice' });
    expect(payments.charges[0]).toMatchObject({
      amount_cents: 3600,
      user_id: 'u-alice',
      idempotency_key: `order:${order.id}`,
      payment_token: 'tok_visa',
    });
  });

  it.each([[[]], [[{ sku: 'CIT-MUG', quantity: 0 }]], [[{ sku: 'CIT-MUG', quantity: 101 }]]])(
    'rejects %j',
    async (items) => {
      await expect(create(alice, { items })).rejects.toBeInstanceOf(InvalidOrder);
    },
  );

  it('names the line whose SKU is not on sale', async () => {
    const order = create(alice, { items: [...mug, { sku: 'NOPE', quantity: 1 }] });
    await expect(order).rejects.toBeInstanceOf(ProductNotInCatalogue);
    await expect(order).rejects.toMatchObject({ line: 1 });
  });

  it('the same key and request return the same order; 50 at once make one order and one charge', async () => {
    const key = newKey();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => create(alice, { items: mug, idempotency_key: key })),
    );
    expect(new Set(results.map((order) => order.id)).size).toBe(1);
    expect(new Set(payments.charges.map((charge) => charge.idempotency_key)).size).toBe(1);
    expect(results.every((order) => order.status === 'paid')).toBe(true);
  });

  it('the same key for a different request is refused', async () => {
    const key = newKey();
    await create(alice, { items: mug, idempotency_key: key });
    await expect(
      create(alice, { items: [{ sku: 'CIT-TEE', quantity: 1 }], idempotency_key: key }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReused);
  });

  it('keys are per user: bob may reuse a key alice used', async () => {
    const key = newKey();
    const mine = await create(alice, { items: mug, idempotency_key: key });
    const his = await create(bob, { items: mug, idempotency_key: key });
    expect(his.id).not.toBe(mine.id);
  });

  it('a decline ends the order payment_failed, with the reason', async () => {
    const order = await create(alice, { items: mug, payment_token: 'tok_decline' });
    expect(order).toMatchObject({ status: 'payment_failed', failure_reason: 'card_declined' });
  });

  it('payment down: the order stays pending, and the retry with its key finishes it', async () => {
    const key = newKey();
    payments.down = true;
    await expect(create(alice, { items: mug, idempotency_key: key })).rejects.toBeInstanceOf(
      ChargeUnanswered,
    );
    payments.down = false;
    const retried = await create(alice, { items: mug, idempotency_key: key });
    expect(retried.status).toBe('paid');
    const all = await database.db
      .selectFrom('orders')
      .select('id')
      .where('idempotency_key', '=', key)
      .execute();
    expect(all).toHaveLength(1);
  });

  it('reading a pending order never charges it, however often and by whomever', async () => {
    const key = newKey();
    payments.down = true;
    await expect(create(alice, { items: mug, idempotency_key: key })).rejects.toThrow();
    payments.down = false;
    const pending = await database.db
      .selectFrom('orders')
      .select('id')
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    const reader = { ...alice, user: { ...alice.user, scopes: ['orders:read:own'] } };
    const reads = await Promise.all(
      [alice, reader, sam, alice].map((who) => service.get(who, pending!.id)),
    );
    expect(reads.map((order) => order.status)).toEqual([
      'pending',
      'pending',
      'pending',
      'pending',
    ]);
    expect(payments.charges).toEqual([]);
    // Placing it again with its key is what finishes it.
    expect((await create(alice, { items: mug, idempotency_key: key })).status).toBe('paid');
  });

  it.each([
    ['PERMISSION_DENIED', 'caller-not-allowed', ChargeCredentialRefused, 'denied'],
    ['UNAUTHENTICATED', 'caller-unauthenticated', ChargeCredentialRefused, 'denied'],
    ['DEADLINE_EXCEEDED', 'no-answer', ChargeUnanswered, 'failed'],
    ['FAILED_PRECONDITION', 'request-refused', ChargeRefused, 'failed'],
  ] as const)(
    'payment answering %s is no decline: the order stays pending, the refusal is on record',
    async (name, because: UndecidedBecause, answered, outcome) => {
      const key = newKey();
      payments.refuses = new PaymentUndecided(because, `${name} (refused)`);
      await expect(create(alice, { items: mug, idempotency_key: key })).rejects.toBeInstanceOf(
        answered,
      );
      const [order] = await database.db
        .selectFrom('orders')
        .selectAll()
        .where('idempotency_key', '=', key)
        .execute();
      expect(order).toMatchObject({ status: 'pending', failure_reason: '' });
      const records = await new AuditLog(database.db, 'order').find({ action: 'order.charge' });
      const record = records.find((r) => r.target === order!.id);
      expect(record).toMatchObject({
        action: 'order.charge',
        actor: 'u-alice',
        outcome,
        detail: `order left pending: payment answered ${name} (refused)`,
      });
      // Once payment accepts the call, the retry with the key charges it, once.
      payments.refuses = undefined;
      expect((await create(alice, { items: mug, idempotency_key: key })).status).toBe('paid');
    },
  );

  it('lists nothing to a credential that may read no orders', async () => {
    const order = await create(alice, { items: mug });
    const key = (scopes: string[]) => ({ ...alice.user, scopes });
    await expect(service.list(key([]))).rejects.toBeInstanceOf(NotAllowed);
    await expect(service.list(key(['orders:create']))).rejects.toBeInstanceOf(NotAllowed);
    expect((await service.list(key(['orders:read:own']))).map((o) => o.id)).toContain(order.id);
    await expect(service.get({ ...alice, user: key([]) }, order.id)).rejects.toBeInstanceOf(
      OrderNotFound,
    );
  });

  it("answers OrderNotFound for someone else's order, and lets support read it", async () => {
    const order = await create(alice, { items: mug });
    await expect(service.get(bob, order.id)).rejects.toBeInstanceOf(OrderNotFound);
    await expect(service.cancel(bob, order.id)).rejects.toBeInstanceOf(OrderNotFound);
    expect((await service.get(sam, order.id)).id).toBe(order.id);
  });

  it('cancel refunds once and is idempotent', async () => {
    const order = await create(alice, { items: mug });
    expect((await service.cancel(alice, order.id)).status).toBe('cancelled');
    expect((await service.cancel(alice, order.id)).status).toBe('cancelled');
    expect(payments.refunds).toEqual([order.payment_id]);
  });

  it('a price change applies to new orders only, and is on record', async () => {
    const audit = new AuditLog(database.db, 'order');
    const before = await create(alice, { items: [{ sku: 'CIT-KEY', quantity: 1 }] });
    await new Catalogue(database.db, audit).setPrice('CIT-KEY', 5100, { actor: 'u-ada' });
    const after = await create(alice, { items: [{ sku: 'CIT-KEY', quantity: 1 }] });
    expect([before.total_cents, after.total_cents]).toEqual([4900, 5100]);
    expect((await service.get(alice, before.id)).total_cents).toBe(4900);
    const [change] = await audit.find({ action: 'product.price-change' });
    expect(change).toMatchObject({
      actor: 'u-ada',
      target: 'CIT-KEY',
      detail: 'price_cents 4900 -> 5100',
    });
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it('records each act once, by the call that did it: a second cancel or refund records nothing', async () => {
    const [mine, theirs] = await Promise.all([
      create(alice, { items: mug }),
      create(bob, { items: mug }),
    ]);
    await service.cancel(alice, mine.id);
    await service.cancel(alice, mine.id);
    await Promise.all([service.refund(sam, theirs.id), service.refund(sam, theirs.id)]);
    const of = async (action: string, target: string) =>
      (await audit.find({ action })).filter((record) => record.target === target);
    expect(await of('order.create', mine.id)).toHaveLength(1);
    expect(await of('order.cancel', mine.id)).toHaveLength(1);
    expect(await of('order.refund', theirs.id)).toHaveLength(1);
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  describe('an act and its record commit together', () => {
    // The embedded database runs as its superuser, so a spec may add triggers that fail
    // one write: an act (the order's row) or its record (the audit row) of one user only.
    beforeAll(async () => {
      await sql`
        create function fail_for_spec() returns trigger language plpgsql as $$
        begin raise exception 'refused by the spec (%)', tg_table_name; end $$`.execute(
        database.db,
      );
      await sql`
        create trigger fail_orders_of_carol before update on orders for each row
        when (new.user_id = 'u-carol' and new.status in ('cancelled', 'refunded'))
        execute function fail_for_spec()`.execute(database.db);
      await sql`
        create trigger fail_records_of_dave before insert on audit_log for each row
        when (new.actor = 'u-dave') execute function fail_for_spec()`.execute(database.db);
    });
    const carol = { caller: 'gateway', user: { id: 'u-carol', role: 'customer' }, jwt: 'jwt-c' };
    const dave = { caller: 'gateway', user: { id: 'u-dave', role: 'admin' }, jwt: 'jwt-d' };
    const recordsFor = async (target: string) =>
      (await audit.find()).filter((record) => record.target === target);

    it('an act that fails leaves no record', async () => {
      const order = await create(carol, { items: mug });
      await expect(service.cancel(carol, order.id)).rejects.toThrow(/refused by the spec/);
      await expect(service.refund(sam, order.id)).rejects.toThrow(/refused by the spec/);
      expect((await service.get(carol, order.id)).status).toBe('paid');
      expect((await recordsFor(order.id)).map((record) => record.action)).toEqual(['order.create']);
    });

    it('a record that fails leaves no act', async () => {
      await expect(create(dave, { items: mug })).rejects.toThrow(/refused by the spec/);
      const placed = await database.db
        .selectFrom('orders')
        .select('id')
        .where('user_id', '=', 'u-dave')
        .execute();
      expect(placed).toEqual([]);
      expect(payments.charges).toEqual([]);

      const order = await create(alice, { items: mug });
      await expect(service.cancel(dave, order.id)).rejects.toThrow(/refused by the spec/);
      expect((await service.get(alice, order.id)).status).toBe('paid');
      expect((await recordsFor(order.id)).map((record) => record.action)).toEqual(['order.create']);
      // The chain has no hole where the refused records would have been.
      expect(await audit.verify()).toMatchObject({ ok: true });
    });
  });
});
