// The benchmark once switched the shipped services' security off with one environment
// variable. That switch is gone: the bench composes its baseline from its own entry
// points (bench/), and no setting of a shipped service turns mTLS, the east-west policy,
// the internal JWT, the token exchange or RBAC off. This boots every service with that
// old variable set to the very value that used to switch security off, and attacks it the
// way that mode allowed. The services do not refuse the variable (they no longer read it,
// and the product carries no trace of it: no-insecure-mode.e2e-spec.ts); they run secured.
import { randomBytes, randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { api, tokenFor } from './support/http.js';
import { grpcClient } from './support/grpc.js';
import { bootOwnSystem } from './support/own-system.js';

const OLD_SWITCH = { CITADEL_INSECURE_BENCH_BASELINE: 'i-understand-this-disables-security' };
/** The unsigned user header the old baseline believed in place of a JWT. */
const OLD_USER_METADATA = 'x-citadel-bench-baseline-user';
const ATTEMPTS = 12;
/** Several client addresses on loopback: the attempts do not come from one place. */
const ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
/** Audit records are appended once the caller has its answer: waited for, with a deadline. */
const AUDIT_DEADLINE_MS = 30_000;

interface AuditEntry {
  action: string;
  outcome: string;
  target: string;
  trace_id: string;
}

function newTrace(): { traceId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

async function records(service: 'auth' | 'order', action: string): Promise<AuditEntry[]> {
  const response = await api(
    'GET',
    `/v1/admin/audit?service=${service}&action=${action}&limit=200`,
    {
      token: await tokenFor('ada'),
    },
  );
  expect(response.status).toBe(200);
  return response.json;
}

/** The records of `action` carrying one of `traceIds`, once `expected` of them are in. */
async function recordsFor(
  service: 'auth' | 'order',
  action: string,
  traceIds: Set<string>,
  expected: number,
): Promise<AuditEntry[]> {
  const deadline = Date.now() + AUDIT_DEADLINE_MS;
  for (;;) {
    const found = (await records(service, action)).filter((r) => traceIds.has(r.trace_id));
    if (found.length >= expected || Date.now() > deadline) return found;
  }
}

describe('the old benchmark switch, set on every service, turns nothing off', () => {
  let own: Awaited<ReturnType<typeof bootOwnSystem>>;
  beforeAll(async () => {
    own = await bootOwnSystem({ env: OLD_SWITCH });
  });
  afterAll(() => own?.dispose());

  it('the gateway still asks for a token: no fixed user for an anonymous or made-up one', async () => {
    const orderId = randomUUID();
    const attempts = (token?: () => string) =>
      Promise.all(
        Array.from({ length: ATTEMPTS }, (_, i) =>
          api('GET', `/v1/orders/${orderId}`, {
            token: token?.(),
            localAddress: ADDRESSES[i % ADDRESSES.length],
          }),
        ),
      );
    const [anonymousAnswers, madeUpAnswers] = await Promise.all([
      attempts(),
      attempts(() => `cit_at_${randomBytes(32).toString('base64url')}`),
    ]);
    expect([...anonymousAnswers, ...madeUpAnswers].map((answer) => answer.status)).toEqual(
      Array(2 * ATTEMPTS).fill(401),
    );
    // Each answer names its trace (x-trace-id), and its audit record carries the same id.
    const traceOf = (answer: { headers: Record<string, unknown> }) => ({
      traceId: String(answer.headers['x-trace-id']),
    });
    const anonymous = anonymousAnswers.map(traceOf);
    const madeUp = madeUpAnswers.map(traceOf);
    // Each anonymous request stopped at the bearer guard, each made-up token at auth's
    // exchange: every one of them is in auth's audit trail as refused there.
    const refused = await recordsFor(
      'auth',
      'http.unauthenticated',
      new Set(anonymous.map((trace) => trace.traceId)),
      ATTEMPTS,
    );
    expect(refused).toHaveLength(ATTEMPTS);
    const exchanges = await recordsFor(
      'auth',
      'auth.token-exchange',
      new Set(madeUp.map((trace) => trace.traceId)),
      ATTEMPTS,
    );
    expect(exchanges.map((record) => record.outcome)).toEqual(Array(ATTEMPTS).fill('denied'));
  });

  it('order refuses plaintext gRPC, and the old unsigned user header over mTLS', async () => {
    const plaintext = grpcClient('order', 'plaintext');
    // A legitimate peer's certificate (the gateway's), so only the missing JWT is at issue.
    const gatewayPeer = grpcClient('order', 'gateway');
    const traces = Array.from({ length: ATTEMPTS }, newTrace);
    const withOldUser = async (traceparent: string) => {
      const metadata = new grpc.Metadata();
      metadata.set(OLD_USER_METADATA, '00000000-0000-4000-8000-0000000b5e11;customer');
      metadata.set('traceparent', traceparent);
      const order = { items: [{ sku: 'CIT-MUG', quantity: 1 }], payment_token: 'tok_visa' };
      return (await gatewayPeer.rpc.createOrder(order, metadata)).code;
    };
    try {
      const [overPlaintext, overMtls] = await Promise.all([
        Promise.all(
          Array.from({ length: ATTEMPTS }, () =>
            plaintext.rpc.createOrder({ items: [{ sku: 'CIT-MUG', quantity: 1 }] }),
          ),
        ),
        Promise.all(traces.map(({ traceparent }) => withOldUser(traceparent))),
      ]);
      // No plaintext listener: the channel never comes up.
      expect(overPlaintext.map((outcome) => outcome.code)).toEqual(
        Array(ATTEMPTS).fill(grpc.status.UNAVAILABLE),
      );
      expect(overMtls).toEqual(Array(ATTEMPTS).fill(grpc.status.UNAUTHENTICATED));
    } finally {
      plaintext.close();
      gatewayPeer.close();
    }
    // Every call with the old header was refused by the JWT guard (one record each), and
    // none reached the use case: no order was created under any of these traces.
    const traceIds = new Set(traces.map((trace) => trace.traceId));
    expect(await recordsFor('order', 'rpc.denied', traceIds, ATTEMPTS)).toHaveLength(ATTEMPTS);
    expect(
      (await records('order', 'order.create')).filter((r) => traceIds.has(r.trace_id)),
    ).toEqual([]);
  });
});
