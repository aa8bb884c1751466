// Attack point 2 (the README's attack table): the attacker skips the gateway and calls order (or payment,
// or auth) directly. Every gRPC server demands a client certificate from the Citadel CA
// and, beyond the handshake, a user JWT addressed to it.
import { status } from '@grpc/grpc-js';
import { grpcClient, internalJwtFor, probe, type Credentials } from './support/grpc.js';
import { tokenFor } from './support/http.js';

const id = '00000000-0000-4000-8000-000000000000';
const targets = [
  ['order.GetOrder', (as: Credentials) => probe('order', as, (rpc) => rpc.getOrder({ id }))],
  [
    'payment.GetPayment',
    (as: Credentials) => probe('payment', as, (rpc) => rpc.getPayment({ id })),
  ],
  ['auth.ListCustomers', (as: Credentials) => probe('auth', as, (rpc) => rpc.listCustomers({}))],
] as const;

describe('attack 2: bypassing the gateway', () => {
  describe.each(targets)('calling %s directly', (_method, call) => {
    it.each(['plaintext', 'no-client-cert', 'foreign-ca'] as const)(
      'with %s → refused at the handshake (UNAVAILABLE)',
      async (credentials) => {
        expect((await call(credentials)).code).toBe(status.UNAVAILABLE);
      },
    );
  });

  it('a valid Citadel certificate with no user JWT → UNAUTHENTICATED', async () => {
    const client = grpcClient('order', 'gateway');
    const outcome = await client.rpc.listOrders({});
    client.close();
    expect(outcome.code).toBe(status.UNAUTHENTICATED);
  });

  it('the same certificate with a genuine JWT succeeds (the refusals above are not vacuous)', async () => {
    const client = grpcClient('order', 'gateway');
    const outcome = await client.rpc.listOrders(
      {},
      await internalJwtFor(await tokenFor('alice'), 'order'),
    );
    client.close();
    expect(outcome.code).toBe(status.OK);
  });
});
