import { AuditLog, detailFacts } from '@citadel/audit';
import { NotAllowed } from '@citadel/transport';
import { openServiceDatabase, sql, type ServiceDatabase } from '@citadel/database';
import { UnknownPaymentToken } from '../provider/provider.errors.js';
import { SimulatedProvider } from '../provider/simulated-provider.js';
import {
  ChargeKeyReused,
  ChargeNotForCaller,
  InvalidCharge,
  PaymentNotFound,
  PaymentNotRefundable,
} from './payment.errors.js';
import { PAYMENT_MIGRATIONS, type PaymentDatabase } from './payment.migrations.js';
import { PaymentRepository } from './payment.repository.js';
import { PaymentService } from './payment.service.js';

describe('PaymentService (embedded PostgreSQL)', () => {
  let audit: AuditLog;
  const alice = { id: 'u-alice', role: 'customer' };
  const bob = { id: 'u-bob', role: 'customer' };
  const sam = { id: 'u-sam', role: 'support_agent' };
  let database: ServiceDatabase<PaymentDatabase>;
  let service: PaymentService;
  let next = 0;
  /** A fresh charge as order would send it: one order, one idempotency key. */
  const charge = (overrides: Record<string, unknown> = {}) => {
    next++;
    return {
      order_id: `o-${next}`,
      user_id: 'u-alice',
      amount_cents: 2400,
      currency: 'EUR',
      idempotency_key: `order:o-${next}`,
      payment_token: 'tok_visa',
      ...overrides,
    };
  };
  const paymentsOf = async (orderId: string) =>
    database.db.selectFrom('payments').selectAll().where('order_id', '=', orderId).execute();

  beforeAll(async () => {
    database = await openServiceDatabase<PaymentDatabase>(
      'payment',
      { kind: 'embedded-memory' },
      PAYMENT_MIGRATIONS,
    );
    audit = new AuditLog(database.db, 'payment');
    service = new PaymentService(
      new PaymentRepository(database.db),
      new SimulatedProvider(200),
      { info: () => undefined },
      audit,
    );
  });
  afterAll(() => database.close());

  it('captures with the default test token', async () => {
    expect(await service.charge(alice, charge({ payment_token: '' }))).toMatchObject({
      status: 'captured',
      amount_cents: 2400,
      refunded_cents: 0,
    });
  });

  it('a declining token records a declined payment with its reason', async () => {
    expect(await service.charge(alice, charge({ payment_token: 'tok_decline' }))).toMatchObject({
      status: 'declined',
      decline_reason: 'card_declined',
    });
  });

  it('a retried charge with the same key returns the same payment', async () => {
    const request = charge();
    const first = await service.charge(alice, request);
    expect((await service.charge(alice, request)).id).toBe(first.id);
    expect(await paymentsOf(request.order_id)).toHaveLength(1);
  });

  it('20 concurrent duplicates of a slow charge make exactly one payment', async () => {
    const request = charge({ payment_token: 'tok_slow' });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => service.charge(alice, request)),
    );
    expect(new Set(results.map((payment) => payment.id)).size).toBe(1);
    expect(results.every((payment) => payment.status === 'captured')).toBe(true);
    expect(await paymentsOf(request.order_id)).toHaveLength(1);
  });

  it('a charge left pending (the process died mid-capture) is finished by the retry', async () => {
    const request = charge();
    await database.db
      .insertInto('payments')
      .values({
        id: '00000000-0000-4000-8000-000000000001',
        order_id: request.order_id,
        user_id: 'u-alice',
        amount_cents: 2400,
        currency: 'EUR',
        status: 'pending',
        payment_token: 'tok_visa',
        idempotency_key: request.idempotency_key,
      })
      .execute();
    const finished = await service.charge(alice, request);
    expect(finished).toMatchObject({
      id: '00000000-0000-4000-8000-000000000001',
      status: 'captured',
    });
  });

  it('the same key for a different charge is refused', async () => {
    const request = charge();
    await service.charge(alice, request);
    await expect(service.charge(alice, { ...request, amount_cents: 1 })).rejects.toBeInstanceOf(
      ChargeKeyReused,
    );
  });

  it('charges only the user in the JWT', async () => {
    await expect(service.charge(bob, charge())).rejects.toBeInstanceOf(ChargeNotForCaller);
  });

  it.each([0, -1, 1.5, Number.MAX_SAFE_INTEGER])('refuses amount %p', async (amount) => {
    await expect(service.charge(alice, charge({ amount_cents: amount }))).rejects.toBeInstanceOf(
      InvalidCharge,
    );
  });

  it("refuses tokens that aren't tokens (no card numbers, no SQL)", async () => {
    for (const token of ['4242424242424242', "tok_visa'; drop table payments; --"]) {
      await expect(service.charge(alice, charge({ payment_token: token }))).rejects.toBeInstanceOf(
        InvalidCharge,
      );
    }
    await expect(
      service.charge(alice, charge({ payment_token: 'tok_unknown' })),
    ).rejects.toBeInstanceOf(UnknownPaymentToken);
  });

  it('refunds once, never more than was paid; another customer cannot refund', async () => {
    const payment = await service.charge(alice, charge());
    await expect(service.refund(bob, payment.id)).rejects.toBeInstanceOf(NotAllowed);
    const both = await Promise.all([
      service.refund(sam, payment.id),
      service.refund(alice, payment.id),
    ]);
    for (const refunded of both) {
      expect(refunded).toMatchObject({ status: 'refunded', refunded_cents: 2400 });
    }
  });

  it('a declined payment cannot be refunded', async () => {
    const payment = await service.charge(alice, charge({ payment_token: 'tok_decline' }));
    await expect(service.refund(sam, payment.id)).rejects.toEqual(
      new PaymentNotRefundable('declined'),
    );
  });

  it('the database itself refuses a refund above the charge', async () => {
    const payment = await service.charge(alice, charge());
    await expect(
      database.db
        .updateTable('payments')
        .set({ refunded_cents: 2401 })
        .where('id', '=', payment.id)
        .execute(),
    ).rejects.toThrow(/refund_within_charge/);
  });

  it("hides other customers' payments", async () => {
    const payment = await service.charge(alice, charge());
    await expect(service.get(bob, payment.id)).rejects.toBeInstanceOf(PaymentNotFound);
    expect((await service.get(sam, payment.id)).id).toBe(payment.id);
  });

  it.each(['', 'o 1', 'o-1; drop table payments', 'o'.repeat(129)])(
    'refuses order id %p (the charge record states it as one word)',
    async (orderId) => {
      await expect(service.charge(alice, charge({ order_id: orderId }))).rejects.toBeInstanceOf(
        InvalidCharge,
      );
    },
  );

  it('puts every charge and refund on the audit record, chained', async () => {
    const before = (await audit.find()).length;
    const payment = await service.charge(
      { id: 'u-audit', role: 'customer' },
      {
        order_id: 'o-audit',
        user_id: 'u-audit',
        amount_cents: 1200,
        currency: 'EUR',
        idempotency_key: 'order:o-audit',
        payment_token: 'tok_visa',
      },
      'a'.repeat(32),
    );
    await service.refund({ id: 'u-agent', role: 'support_agent' }, payment.id);
    const records = await audit.find();
    expect(records.length - before).toBe(2);
    expect(
      records.slice(0, 2).map(({ action, actor, outcome }) => [action, actor, outcome]),
    ).toEqual([
      ['payment.refund', 'u-agent', 'ok'],
      ['payment.charge', 'u-audit', 'ok'],
    ]);
    expect(records[1]!.traceId).toBe('a'.repeat(32));
    expect(detailFacts(records[1]!.detail)).toEqual({
      order_id: 'o-audit',
      amount_cents: '1200',
      currency: 'EUR',
    });
    expect(records[0]!.detail).toBe('refund amount_cents=1200 currency=EUR');
    expect((await audit.verify()).ok).toBe(true);
  });

  it('records a decline with its reason and the facts of the charge', async () => {
    const payment = await service.charge(alice, charge({ payment_token: 'tok_decline' }));
    const [record] = (await audit.find({ action: 'payment.charge' })).filter(
      (candidate) => candidate.target === payment.id,
    );
    expect(record).toMatchObject({ outcome: 'failed', actor: 'u-alice' });
    expect(record!.detail).toBe(
      `declined: card_declined order_id=${payment.order_id} amount_cents=2400 currency=EUR`,
    );
  });

  it('records a charge once: by the call that settles it, a retry after a crash included', async () => {
    const request = charge({ payment_token: 'tok_slow' });
    const [first] = await Promise.all(
      Array.from({ length: 5 }, () => service.charge(alice, request)),
    );
    await service.charge(alice, request);
    const recordsOf = async (id: string) =>
      (await audit.find({ action: 'payment.charge' })).filter((record) => record.target === id);
    expect(await recordsOf(first!.id)).toHaveLength(1);

    // Left pending by a process that died mid-capture: the retry settles it, and records it.
    const pending = charge();
    const id = '00000000-0000-4000-8000-000000000002';
    await database.db
      .insertInto('payments')
      .values({
        id,
        order_id: pending.order_id,
        user_id: 'u-alice',
        amount_cents: 2400,
        currency: 'EUR',
        status: 'pending',
        payment_token: 'tok_visa',
        idempotency_key: pending.idempotency_key,
      })
      .execute();
    await service.charge(alice, pending);
    expect(await recordsOf(id)).toHaveLength(1);
  });

  describe('a money movement and its record commit together', () => {
    // The embedded database runs as its superuser, so a spec may add a trigger that fails
    // the records of one actor only.
    const quinn = { id: 'u-quinn', role: 'support_agent' };
    beforeAll(async () => {
      await sql`
        create function fail_for_spec() returns trigger language plpgsql as $$
        begin raise exception 'refused by the spec (%)', tg_table_name; end $$`.execute(
        database.db,
      );
      await sql`
        create trigger fail_records_of_quinn before insert on audit_log for each row
        when (new.actor = 'u-quinn') execute function fail_for_spec()`.execute(database.db);
    });

    it('a refund whose record fails pays nothing back', async () => {
      const payment = await service.charge(alice, charge());
      await expect(service.refund(quinn, payment.id)).rejects.toThrow(/refused by the spec/);
      expect(await service.get(sam, payment.id)).toMatchObject({
        status: 'captured',
        refunded_cents: 0,
      });
      // Someone whose record can be written refunds it, once.
      expect(await service.refund(sam, payment.id)).toMatchObject({ status: 'refunded' });
    });

    it('a capture whose record fails leaves the payment pending, for the retry to settle', async () => {
      const quinnsCharge = charge({ user_id: 'u-quinn' });
      const customer = { id: 'u-quinn', role: 'customer' };
      await expect(service.charge(customer, quinnsCharge)).rejects.toThrow(/refused by the spec/);
      const [stored] = await paymentsOf(quinnsCharge.order_id);
      expect(stored).toMatchObject({ status: 'pending' });
      expect(
        (await audit.find({ action: 'payment.charge' })).filter((r) => r.target === stored!.id),
      ).toEqual([]);
    });
  });
});
