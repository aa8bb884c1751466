import { status } from '@grpc/grpc-js';
import type { RpcException } from '@nestjs/microservices';
import type { ChargeRequest, Payment } from '@citadel/contracts';
import { Catalogue } from '../catalogue/catalogue.js';
import { InMemoryOrderRepository } from './order.repository.js';
import { OrderService } from './order.service.js';
import { PaymentsPort } from './payments.port.js';

const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => status.OK,
    (error: RpcException) => (error.getError() as { code: status }).code,
  );

class FakePayments extends PaymentsPort {
  charges: ChargeRequest[] = [];
  refunds: string[] = [];
  fail = false;
  async charge(request: ChargeRequest): Promise<Payment> {
    if (this.fail)
      throw Object.assign(new Error('down'), { code: status.UNAVAILABLE, details: 'down' });
    this.charges.push(request);
    return {
      ...request,
      id: `p-${this.charges.length}`,
      refunded_cents: 0,
      status: 'captured',
      created_at: '',
    };
  }
  async refund(paymentId: string): Promise<Payment> {
    this.refunds.push(paymentId);
    return {} as Payment;
  }
}

describe('OrderService', () => {
  const alice = { caller: 'gateway', user: { id: 'u-alice', role: 'customer' }, jwt: 'jwt-a' };
  const bob = { caller: 'gateway', user: { id: 'u-bob', role: 'customer' }, jwt: 'jwt-b' };
  const sam = { caller: 'gateway', user: { id: 'u-sam', role: 'support_agent' }, jwt: 'jwt-s' };
  let payments: FakePayments;
  let orders: InMemoryOrderRepository;
  let service: OrderService;

  beforeEach(() => {
    payments = new FakePayments();
    orders = new InMemoryOrderRepository();
    service = new OrderService(orders, new Catalogue(), payments);
  });

  it('prices from the catalogue and charges with the user JWT and an idempotency key', async () => {
    const order = await service.create(alice, [
      { sku: 'CIT-MUG', quantity: 3, unit_price_cents: 1 },
    ]);
    expect(order).toMatchObject({
      status: 'paid',
      total_cents: 3600,
      payment_id: 'p-1',
      user_id: 'u-alice',
    });
    expect(payments.charges[0]).toMatchObject({
      amount_cents: 3600,
      user_id: 'u-alice',
      idempotency_key: `order:${order.id}`,
    });
  });

  it.each([
    [[]],
    [[{ sku: 'NOPE', quantity: 1 }]],
    [[{ sku: 'CIT-MUG', quantity: 0 }]],
    [[{ sku: 'CIT-MUG', quantity: 101 }]],
  ])('rejects %j', async (items) => {
    expect(await codeOf(service.create(alice, items))).toBe(status.INVALID_ARGUMENT);
  });

  it('keeps the order as payment_failed when payment is down', async () => {
    payments.fail = true;
    await expect(service.create(alice, [{ sku: 'CIT-MUG', quantity: 1 }])).rejects.toBeDefined();
    expect((await orders.list())[0]?.status).toBe('payment_failed');
  });

  it("answers NOT_FOUND for someone else's order, and lets support read it", async () => {
    const order = await service.create(alice, [{ sku: 'CIT-MUG', quantity: 1 }]);
    expect(await codeOf(service.get(bob.user, order.id))).toBe(status.NOT_FOUND);
    expect(await codeOf(service.cancel(bob, order.id))).toBe(status.NOT_FOUND);
    expect((await service.get(sam.user, order.id)).id).toBe(order.id);
  });

  it('cancel refunds once and is idempotent', async () => {
    const order = await service.create(alice, [{ sku: 'CIT-MUG', quantity: 1 }]);
    expect((await service.cancel(alice, order.id)).status).toBe('cancelled');
    expect((await service.cancel(alice, order.id)).status).toBe('cancelled');
    expect(payments.refunds).toEqual([order.payment_id]);
  });
});
