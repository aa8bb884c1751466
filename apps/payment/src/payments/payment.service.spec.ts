import { status } from '@grpc/grpc-js';
import type { RpcException } from '@nestjs/microservices';
import { InMemoryPaymentRepository } from './payment.repository.js';
import { PaymentService } from './payment.service.js';

const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => status.OK,
    (error: RpcException) => (error.getError() as { code: status }).code,
  );

describe('PaymentService', () => {
  const alice = { id: 'u-alice', role: 'customer' };
  const bob = { id: 'u-bob', role: 'customer' };
  const sam = { id: 'u-sam', role: 'support_agent' };
  const request = {
    order_id: 'o-1',
    user_id: 'u-alice',
    amount_cents: 2400,
    currency: 'EUR',
    idempotency_key: 'order:o-1',
  };
  let service: PaymentService;

  beforeEach(() => {
    service = new PaymentService(new InMemoryPaymentRepository());
  });

  it('a retried charge with the same key returns the same payment', async () => {
    const first = await service.charge(alice, request);
    const again = await service.charge(alice, request);
    expect(again.id).toBe(first.id);
  });

  it('the same key for a different charge is refused', async () => {
    await service.charge(alice, request);
    expect(await codeOf(service.charge(alice, { ...request, amount_cents: 1 }))).toBe(
      status.FAILED_PRECONDITION,
    );
  });

  it('charges only the user in the JWT', async () => {
    expect(await codeOf(service.charge(bob, request))).toBe(status.PERMISSION_DENIED);
  });

  it.each([0, -1, 1.5, Number.MAX_SAFE_INTEGER])('refuses amount %p', async (amount) => {
    expect(await codeOf(service.charge(alice, { ...request, amount_cents: amount }))).toBe(
      status.INVALID_ARGUMENT,
    );
  });

  it('refunds once, never more than was paid; another customer cannot refund', async () => {
    const payment = await service.charge(alice, request);
    expect(await codeOf(service.refund(bob, payment.id))).toBe(status.PERMISSION_DENIED);
    const refunded = await service.refund(sam, payment.id);
    const again = await service.refund(alice, payment.id);
    expect(refunded).toMatchObject({ status: 'refunded', refunded_cents: 2400 });
    expect(again.refunded_cents).toBe(2400);
  });

  it("hides other customers' payments", async () => {
    const payment = await service.charge(alice, request);
    expect(await codeOf(service.get(bob, payment.id))).toBe(status.NOT_FOUND);
    expect((await service.get(sam, payment.id)).id).toBe(payment.id);
  });
});
