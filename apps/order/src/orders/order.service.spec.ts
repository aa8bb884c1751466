import { status } from '@grpc/grpc-js';
import type { RpcException } from '@nestjs/microservices';
import type { ChargeRequest, OrderItem, Payment } from '@citadel/contracts';
import { openServiceDatabase, sql, type ServiceDatabase } from '@citadel/database';
import { AuditLog } from '@citadel/audit';
import { Catalogue } from '../catalogue/catalogue.js';
import { ORDER_MIGRATIONS, type OrderDatabase } from './order.migrations.js';
import { OrderRepository } from './order.repository.js';
import { OrderService } from './order.service.js';
import { PaymentsPort } from './payments.port.js';

const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => status.OK,
    (error: RpcException) => (error.getError() as { code: status }).code,
  );

/** Payment as order sees it, with the idempotency payment guarantees: one payment per key. */
class FakePayments extends PaymentsPort {
  charges: ChargeRequest[] = [];
  refunds: string[] = [];
  byKey = new Map<string, Payment>();
  down = false;
  /** Payment refuses the call (not the card) with this status, before charging anything. */
  refuses: status | undefined;
  async charge(request: ChargeRequest): Promise<Payment> {
    if (this.down)
      throw Object.assign(new Error('down'), { code: status.UNAVAILABLE, details: 'down' });
    if (this.refuses !== undefined)
      throw Object.assign(new Error('refused'), { code: this.refuses, details: 'refused' });
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
  const mug: OrderItem[] = [{ sku: 'CIT-MUG', quantity: 1 }];
  let database: ServiceDatabase<OrderDatabase>;
  let payments: FakePayments;
  let service: OrderService;
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
    const order = await service.create(alice, {
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

  it.each([
    [[]],
    [[{ sku: 'NOPE', quantity: 1 }]],
    [[{ sku: 'CIT-MUG', quantity: 0 }]],
    [[{ sku: 'CIT-MUG', quantity: 101 }]],
  ])('rejects %j', async (items) => {
    expect(await codeOf(service.create(alice, { items }))).toBe(status.INVALID_ARGUMENT);
  });

  it('the same key and request return the same order; 50 at once make one order and one charge', async () => {
    const key = newKey();
    const results = await Promise.all(
      Array.from({ length: 50 }, () => service.create(alice, { items: mug, idempotency_key: key })),
    );
    expect(new Set(results.map((order) => order.id)).size).toBe(1);
    expect(new Set(payments.charges.map((charge) => charge.idempotency_key)).size).toBe(1);
    expect(results.every((order) => order.status === 'paid')).toBe(true);
  });

  it('the same key for a different request is refused (ALREADY_EXISTS)', async () => {
    const key = newKey();
    await service.create(alice, { items: mug, idempotency_key: key });
    expect(
      await codeOf(
        service.create(alice, { items: [{ sku: 'CIT-TEE', quantity: 1 }], idempotency_key: key }),
      ),
    ).toBe(status.ALREADY_EXISTS);
  });

  it('keys are per user: bob may reuse a key alice used', async () => {
    const key = newKey();
    const mine = await service.create(alice, { items: mug, idempotency_key: key });
    const his = await service.create(bob, { items: mug, idempotency_key: key });
    expect(his.id).not.toBe(mine.id);
  });

  it('a decline ends the order payment_failed, with the reason', async () => {
    const order = await service.create(alice, { items: mug, payment_token: 'tok_decline' });
    expect(order).toMatchObject({ status: 'payment_failed', failure_reason: 'card_declined' });
  });

  it('payment down: the order stays pending, and the retry with its key finishes it', async () => {
    const key = newKey();
    payments.down = true;
    expect(await codeOf(service.create(alice, { items: mug, idempotency_key: key }))).toBe(
      status.UNAVAILABLE,
    );
    payments.down = false;
    const retried = await service.create(alice, { items: mug, idempotency_key: key });
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
    await codeOf(service.create(alice, { items: mug, idempotency_key: key }));
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
    expect((await service.create(alice, { items: mug, idempotency_key: key })).status).toBe('paid');
  });

  it.each([
    ['PERMISSION_DENIED', status.PERMISSION_DENIED, 'denied'],
    ['UNAUTHENTICATED', status.PERMISSION_DENIED, 'denied'],
    ['DEADLINE_EXCEEDED', status.UNAVAILABLE, 'failed'],
    ['FAILED_PRECONDITION', status.FAILED_PRECONDITION, 'failed'],
  ] as const)(
    'payment answering %s is no decline: the order stays pending, the refusal is on record',
    async (name, answered, outcome) => {
      const key = newKey();
      payments.refuses = status[name];
      expect(await codeOf(service.create(alice, { items: mug, idempotency_key: key }))).toBe(
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
        detail: expect.stringContaining(`payment answered ${name}`),
      });
      // Once payment accepts the call, the retry with the key charges it, once.
      payments.refuses = undefined;
      expect((await service.create(alice, { items: mug, idempotency_key: key })).status).toBe(
        'paid',
      );
    },
  );

  it('lists nothing to a credential that may read no orders', async () => {
    const order = await service.create(alice, { items: mug });
    const key = (scopes: string[]) => ({ ...alice.user, scopes });
    expect(await codeOf(service.list(key([])))).toBe(status.PERMISSION_DENIED);
    expect(await codeOf(service.list(key(['orders:create'])))).toBe(status.PERMISSION_DENIED);
    expect((await service.list(key(['orders:read:own']))).map((o) => o.id)).toContain(order.id);
    expect(await codeOf(service.get({ ...alice, user: key([]) }, order.id))).toBe(status.NOT_FOUND);
  });

  it("answers NOT_FOUND for someone else's order, and lets support read it", async () => {
    const order = await service.create(alice, { items: mug });
    expect(await codeOf(service.get(bob, order.id))).toBe(status.NOT_FOUND);
    expect(await codeOf(service.cancel(bob, order.id))).toBe(status.NOT_FOUND);
    expect((await service.get(sam, order.id)).id).toBe(order.id);
  });

  it('cancel refunds once and is idempotent', async () => {
    const order = await service.create(alice, { items: mug });
    expect((await service.cancel(alice, order.id)).status).toBe('cancelled');
    expect((await service.cancel(alice, order.id)).status).toBe('cancelled');
    expect(payments.refunds).toEqual([order.payment_id]);
  });

  it('a price change applies to new orders only, and is on record', async () => {
    const audit = new AuditLog(database.db, 'order');
    const before = await service.create(alice, { items: [{ sku: 'CIT-KEY', quantity: 1 }] });
    await new Catalogue(database.db, audit).setPrice('CIT-KEY', 5100, { actor: 'u-ada' });
    const after = await service.create(alice, { items: [{ sku: 'CIT-KEY', quantity: 1 }] });
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
      service.create(alice, { items: mug }),
      service.create(bob, { items: mug }),
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
      const order = await service.create(carol, { items: mug });
      await expect(service.cancel(carol, order.id)).rejects.toThrow(/refused by the spec/);
      await expect(service.refund(sam, order.id)).rejects.toThrow(/refused by the spec/);
      expect((await service.get(carol, order.id)).status).toBe('paid');
      expect((await recordsFor(order.id)).map((record) => record.action)).toEqual(['order.create']);
    });

    it('a record that fails leaves no act', async () => {
      await expect(service.create(dave, { items: mug })).rejects.toThrow(/refused by the spec/);
      const placed = await database.db
        .selectFrom('orders')
        .select('id')
        .where('user_id', '=', 'u-dave')
        .execute();
      expect(placed).toEqual([]);
      expect(payments.charges).toEqual([]);

      const order = await service.create(alice, { items: mug });
      await expect(service.cancel(dave, order.id)).rejects.toThrow(/refused by the spec/);
      expect((await service.get(alice, order.id)).status).toBe('paid');
      expect((await recordsFor(order.id)).map((record) => record.action)).toEqual(['order.create']);
      // The chain has no hole where the refused records would have been.
      expect(await audit.verify()).toMatchObject({ ok: true });
    });
  });
});
