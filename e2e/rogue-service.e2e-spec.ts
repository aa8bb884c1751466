// Attack point 3 (seed 004): a service calls payment without authorization. Payment
// takes the caller's identity from its certificate (SPIFFE URI SAN) and accepts only
// order and refund, per the east-west policy; it also re-checks the user context.
import { status } from '@grpc/grpc-js';
import { grpcClient, internalJwtFor } from './support/grpc.js';
import { placeOrder, tokenFor, userIdOf } from './support/http.js';

describe('attack 3: unauthorized service-to-service calls', () => {
  let aliceJwt: string;
  let aliceId: string;

  beforeAll(async () => {
    aliceJwt = await internalJwtFor(await tokenFor('alice'), 'order');
    aliceId = await userIdOf('alice');
  });

  const charge = (id: string) => ({
    order_id: `rogue-${Date.now()}`,
    user_id: id,
    amount_cents: 100,
    currency: 'EUR',
    idempotency_key: `rogue-${Math.random()}`,
  });

  it.each(['analytics', 'gateway'] as const)(
    'a %s certificate (valid Citadel CA) calling payment.Charge with a genuine user JWT → PERMISSION_DENIED',
    async (caller) => {
      const client = grpcClient('payment', caller);
      const outcome = await client.call('Charge', charge(aliceId), aliceJwt);
      client.close();
      expect(outcome.code).toBe(status.PERMISSION_DENIED);
    },
  );

  it('analytics may not reach order or auth either', async () => {
    for (const [target, method] of [
      ['order', 'ListProducts'],
      ['auth', 'GetJwks'],
    ] as const) {
      const client = grpcClient(target, 'analytics');
      const outcome = await client.call(method, {});
      client.close();
      expect(outcome.code).toBe(status.PERMISSION_DENIED);
    }
  });

  it('order may fetch the JWKS from auth but not log users in or mint tokens', async () => {
    const client = grpcClient('auth', 'order');
    expect((await client.call('GetJwks', {})).code).toBe(status.OK);
    expect((await client.call('Login', { email: 'alice@citadel.test', password: 'x' })).code).toBe(
      status.PERMISSION_DENIED,
    );
    expect(
      (
        await client.call('ExchangeToken', {
          access_token: await tokenFor('alice'),
          audience: 'payment',
        })
      ).code,
    ).toBe(status.PERMISSION_DENIED);
    client.close();
  });

  it('order (allowed caller) charging one user with another user JWT → PERMISSION_DENIED', async () => {
    const client = grpcClient('payment', 'order');
    const bobId = await userIdOf('bob');
    expect((await client.call('Charge', charge(bobId), aliceJwt)).code).toBe(
      status.PERMISSION_DENIED,
    );
    expect((await client.call('Charge', charge(aliceId), aliceJwt)).code).toBe(status.OK);
    client.close();
  });

  it('a customer JWT cannot refund through order’s certificate someone else’s payment', async () => {
    const bobsOrder = await placeOrder('bob');
    const client = grpcClient('payment', 'order');
    const outcome = await client.call(
      'Refund',
      { payment_id: bobsOrder.payment_id, reason: 'rogue' },
      aliceJwt,
    );
    client.close();
    expect(outcome.code).toBe(status.PERMISSION_DENIED);
  });
});
