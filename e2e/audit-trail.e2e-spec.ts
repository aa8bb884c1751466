// Every sensitive act and every denial is one audit record, with its
// trace id (started at the edge: a client's traceparent never names it), in the owning
// service's database; the records are hash-chained, and the verifier names the first
// record someone altered.
import { randomBytes } from 'node:crypto';
import { auditVerify } from './support/audit-verify.js';
import { grpcClient } from './support/grpc.js';
import {
  api,
  expectProblem,
  placeOrder,
  tokenFor,
  userIdOf,
  type ApiResponse,
} from './support/http.js';
import { e2eState } from './support/state.js';

interface AuditEntry {
  seq: number;
  action: string;
  outcome: string;
  actor: string;
  target: string;
  caller_service: string;
  trace_id: string;
  detail: string;
}

/** A fresh W3C trace context, as a client would send it (and hope to see in our records). */
function newTrace(): { traceId: string; headers: { traceparent: string } } {
  const traceId = randomBytes(16).toString('hex');
  return {
    traceId,
    headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
  };
}

async function recordsOf(service: 'auth' | 'order', query: string): Promise<AuditEntry[]> {
  const response = await api('GET', `/v1/admin/audit?service=${service}&${query}`, {
    token: await tokenFor('ada'),
  });
  expect(response.status).toBe(200);
  return response.json;
}

describe('audit trail', () => {
  it('records each sensitive act once, with actor, outcome and the request trace id', async () => {
    const state = e2eState();
    const alice = state.users.find((user) => user.email.startsWith('alice@'))!;
    const aliceId = await userIdOf('alice');
    const adaId = await userIdOf('ada');
    const samId = await userIdOf('sam');

    const acts: [
      service: 'auth' | 'order',
      run: (headers: Record<string, string>) => Promise<ApiResponse>,
      expected: Partial<AuditEntry>,
    ][] = [
      [
        'auth',
        (headers) =>
          api('POST', '/v1/auth/login', {
            body: { email: alice.email, password: alice.password },
            headers,
          }),
        { action: 'auth.login', outcome: 'ok', actor: aliceId, target: alice.email },
      ],
      [
        'auth',
        (headers) =>
          api('POST', '/v1/auth/login', {
            body: { email: alice.email, password: 'not-hers' },
            headers,
          }),
        {
          action: 'auth.login',
          outcome: 'denied',
          actor: aliceId,
          // The address the gateway saw, a fact the monitor's login-burst rule groups by.
          detail: 'wrong password client_ip=127.0.0.1',
        },
      ],
      [
        'auth',
        async (headers) =>
          api('POST', '/v1/auth/logout', { token: await tokenFor('alice', true), headers }),
        { action: 'auth.logout', outcome: 'ok', actor: aliceId },
      ],
      [
        'order',
        async (headers) =>
          api('POST', '/v1/orders', {
            token: await tokenFor('alice'),
            body: { items: [{ sku: 'CIT-MUG', quantity: 1 }] },
            headers,
          }),
        { action: 'order.create', outcome: 'ok', actor: aliceId, caller_service: 'gateway' },
      ],
      [
        'order',
        async (headers) =>
          api('POST', `/v1/orders/${(await placeOrder('alice')).id}/cancel`, {
            token: await tokenFor('alice'),
            headers,
          }),
        { action: 'order.cancel', outcome: 'ok', actor: aliceId },
      ],
      [
        'order',
        async (headers) =>
          api('POST', `/v1/orders/${(await placeOrder('bob')).id}/refund`, {
            token: await tokenFor('sam'),
            headers,
          }),
        { action: 'order.refund', outcome: 'ok', actor: samId },
      ],
      [
        'order',
        async (headers) => {
          // The same price again: an audited change that leaves other tests' totals alone.
          const mug = (await api('GET', '/v1/products')).json.find(
            (product: { sku: string }) => product.sku === 'CIT-MUG',
          );
          return api('PUT', '/v1/products/CIT-MUG/price', {
            token: await tokenFor('ada'),
            body: { price_cents: mug.price_cents },
            headers,
          });
        },
        { action: 'product.price-change', outcome: 'ok', actor: adaId, target: 'CIT-MUG' },
      ],
      [
        'auth',
        async (headers) =>
          api('DELETE', `/v1/customers/${await userIdOf('gina')}`, {
            token: await tokenFor('ada'),
            headers,
          }),
        { action: 'customer.delete', outcome: 'ok', actor: adaId },
      ],
      [
        'auth',
        async (headers) =>
          api('POST', '/v1/api-keys', {
            token: await tokenFor('alice'),
            body: { name: 'audited', scopes: ['orders:read:own'] },
            headers,
          }),
        { action: 'api-key.create', outcome: 'ok', actor: aliceId },
      ],
      [
        'auth',
        (headers) => api('GET', '/v1/orders', { headers }),
        {
          action: 'http.unauthenticated',
          outcome: 'denied',
          actor: 'anonymous',
          target: 'GET /v1/orders',
        },
      ],
      [
        'auth',
        (headers) => api('GET', '/v1/orders', { token: `cit_at_${'A'.repeat(43)}`, headers }),
        { action: 'auth.token-exchange', outcome: 'denied', caller_service: 'gateway' },
      ],
      [
        'auth',
        async (headers) => api('GET', '/v1/customers', { token: await tokenFor('alice'), headers }),
        {
          action: 'http.forbidden',
          outcome: 'denied',
          actor: aliceId,
          target: 'GET /v1/customers',
        },
      ],
    ];

    for (const [service, run, expected] of acts) {
      const client = newTrace();
      // The act is filed under the trace the edge started (x-trace-id), never the client's.
      const traceId = String((await run(client.headers)).headers['x-trace-id']);
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(traceId).not.toBe(client.traceId);
      const records = await recordsOf(service, `trace_id=${traceId}`);
      const matching = records.filter((record) => record.action === expected.action);
      expect({ act: expected.action, count: matching.length }).toEqual({
        act: expected.action,
        count: 1,
      });
      expect(matching[0]).toMatchObject({ ...expected, trace_id: traceId });
      expect(await recordsOf(service, `trace_id=${client.traceId}`)).toEqual([]);
    }
  });

  it('records a revoked API key and a denial deep inside the system', async () => {
    const token = await tokenFor('alice');
    const created = await api('POST', '/v1/api-keys', {
      token,
      body: { name: 'to revoke', scopes: ['orders:read:own'] },
    });
    const revoked = await api('DELETE', `/v1/api-keys/${created.json.id}`, {
      token,
      headers: newTrace().headers,
    });
    expect(await recordsOf('auth', `trace_id=${revoked.headers['x-trace-id']}`)).toEqual([
      expect.objectContaining({ action: 'api-key.revoke', outcome: 'ok', target: created.json.id }),
    ]);

    // A certificate the policy does not know, calling order directly.
    const rogue = grpcClient('order', 'analytics');
    try {
      await rogue.rpc.listProducts({});
    } finally {
      rogue.close();
    }
    const denied = await recordsOf('order', 'action=rpc.denied&actor=service:analytics&limit=1');
    expect(denied[0]).toMatchObject({
      outcome: 'denied',
      caller_service: 'analytics',
      target: 'order.ListProducts',
    });
  });

  it('verifies every chain: audit:verify and the admin endpoint agree it is intact', async () => {
    const { code, stdout } = await auditVerify();
    for (const service of ['auth', 'order', 'payment', 'monitor'])
      expect(stdout).toMatch(new RegExp(`^${service}\\s+ok\\s+\\d+ records`, 'm'));
    expect(code).toBe(0);

    const verified = await api('GET', '/v1/admin/audit/verify', { token: await tokenFor('ada') });
    expect(verified.json).toEqual([
      expect.objectContaining({ service: 'auth', ok: true }),
      expect.objectContaining({ service: 'order', ok: true }),
    ]);
    expectProblem(
      await api('GET', '/v1/admin/audit/verify', { token: await tokenFor('sam') }),
      403,
    );
    expectProblem(
      await api('GET', '/v1/admin/audit?service=order', { token: await tokenFor('sam') }),
      403,
    );
  });
});
