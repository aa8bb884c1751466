// Machine clients use API keys: shown once, stored hashed, limited to scopes
// their owner's role grants, revocable at once, and exchanged like any access token.
// A key's permissions are exactly its scopes within its owner's role: one with no scopes
// (an old row, a direct write to auth's database) grants nothing, at every layer.
// The file runs on a system of its own: one spec writes to auth's database at rest.
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { PGlite } from '@electric-sql/pglite';
import { grpcClient, internalJwtFor } from './support/grpc.js';
import { api, expectProblem, placeOrder, tokenFor, type ApiResponse } from './support/http.js';
import { bootOwnSystem } from './support/own-system.js';

let own: Awaited<ReturnType<typeof bootOwnSystem>>;
beforeAll(async () => {
  own = await bootOwnSystem();
}, 90_000);
afterAll(() => own?.dispose());

describe('API keys', () => {
  it('is shown once, works within its scopes only, and dies at once when revoked', async () => {
    const alice = await tokenFor('alice');
    const mine = await placeOrder('alice');
    const created = await api('POST', '/v1/api-keys', {
      token: alice,
      body: { name: 'nightly export', scopes: ['orders:read:own'], ttl_days: 7 },
    });
    expect(created.status).toBe(201);
    const { secret, id } = created.json;
    expect(secret).toMatch(/^cit_ak_[A-Za-z0-9_-]{43}$/);
    expect(created.json).toMatchObject({ name: 'nightly export', scopes: ['orders:read:own'] });

    const listed = await api('GET', '/v1/api-keys', { token: alice });
    expect(listed.json).toContainEqual(
      expect.objectContaining({ id, prefix: secret.slice(0, 11) }),
    );
    expect(listed.text).not.toContain(secret);

    // Within scope: reads the owner's orders, as the owner.
    const read = await api('GET', `/v1/orders/${mine.id}`, { token: secret });
    expect(read.status).toBe(200);
    expect((await api('GET', '/v1/me', { token: secret })).json.email).toBe('alice@citadel.test');
    // Outside its scope, though the owner's role allows it: refused at the edge.
    expectProblem(
      await api('POST', '/v1/orders', {
        token: secret,
        body: { items: [{ sku: 'CIT-MUG', quantity: 1 }] },
      }),
      403,
    );
    // A key never mints keys.
    expectProblem(
      await api('POST', '/v1/api-keys', {
        token: secret,
        body: { name: 'child', scopes: ['orders:read:own'] },
      }),
      403,
    );

    // Another user cannot revoke it; its owner can, and it is dead at once.
    expectProblem(await api('DELETE', `/v1/api-keys/${id}`, { token: await tokenFor('bob') }), 404);
    expect((await api('DELETE', `/v1/api-keys/${id}`, { token: alice })).status).toBe(204);
    expectProblem(await api('GET', `/v1/orders/${mine.id}`, { token: secret }), 401);
  });

  it('cannot be scoped beyond its owner, or to what does not exist', async () => {
    const alice = await tokenFor('alice');
    const create = (body: unknown) => api('POST', '/v1/api-keys', { token: alice, body });
    expectProblem(await create({ name: 'refunds', scopes: ['orders:refund'] }), 400);
    expectProblem(await create({ name: 'keys', scopes: ['api-keys:manage'] }), 400);
    const unknown = await create({ name: 'x', scopes: ['root'] });
    expectProblem(unknown, 400);
    expect(unknown.json.errors).toContainEqual(expect.objectContaining({ field: 'scopes' }));
    expectProblem(await create({ name: 'x', scopes: [] }), 400);
    expectProblem(await create({ name: 'x', scopes: ['orders:read:own'], ttl_days: 10_000 }), 400);
  });

  it('scopes a support agent key to reading orders, not refunding them', async () => {
    const order = await placeOrder('bob');
    const created = await api('POST', '/v1/api-keys', {
      token: await tokenFor('sam'),
      body: { name: 'reporting', scopes: ['orders:read:any'] },
    });
    const key = created.json.secret as string;
    expect((await api('GET', `/v1/orders/${order.id}`, { token: key })).status).toBe(200);
    expectProblem(await api('POST', `/v1/orders/${order.id}/refund`, { token: key }), 403);
  });
});

describe('an API key stored with no scopes', () => {
  /** Auth's audit records of `action` by `actor`, once `count` of them are in (edge denials are recorded after the answer). */
  async function authRecords(action: string, actor: string, count: number) {
    const ada = await tokenFor('ada');
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = await api(
        'GET',
        `/v1/admin/audit?service=auth&action=${action}&actor=${actor}&limit=100`,
        { token: ada },
      );
      const records = found.json as { detail: string; outcome: string }[];
      if (records.length >= count || Date.now() > deadline) return records;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('is refused every route at the edge and every call behind it, though its owner is an admin', async () => {
    const ada = await tokenFor('ada');
    const adaId = (await api('GET', '/v1/me', { token: ada })).json.id as string;
    const aliceId = (await api('GET', '/v1/me', { token: await tokenFor('alice') })).json
      .id as string;
    const order = await placeOrder('alice');
    const price = (await api('GET', '/v1/products')).json.find(
      (product: { sku: string }) => product.sku === 'CIT-MUG',
    ).price_cents as number;
    const created = await api('POST', '/v1/api-keys', {
      token: ada,
      body: { name: 'to be emptied', scopes: ['orders:read:any'] },
    });
    expect(created.status).toBe(201);
    const { secret, id } = created.json as { secret: string; id: string };

    // Its scopes emptied at rest before it was ever used (auth stopped: its embedded
    // database has one writer), as an old row or a direct write would leave it.
    await own.system.stopService('auth');
    const db = new PGlite(path.join(own.home, 'data', 'auth'));
    try {
      const { rows } = await db.query(
        `UPDATE "auth".api_keys SET scopes = '' WHERE id = $1 RETURNING id`,
        [id],
      );
      expect(rows).toEqual([{ id }]);
    } finally {
      await db.close();
    }
    await own.system.startService('auth');

    const mug = { items: [{ sku: 'CIT-MUG', quantity: 1 }] };
    const routes: [method: string, path: string, body?: unknown][] = [
      ['GET', '/v1/me'],
      ['GET', '/v1/orders'],
      ['GET', `/v1/orders/${order.id}`],
      ['POST', '/v1/orders', mug],
      ['POST', `/v1/orders/${order.id}/cancel`],
      ['POST', `/v1/orders/${order.id}/refund`],
      ['GET', '/v1/customers'],
      ['DELETE', `/v1/customers/${aliceId}`],
      ['PUT', '/v1/products/CIT-MUG/price', { price_cents: 1 }],
      ['GET', '/v1/admin/alerts'],
      ['GET', '/v1/admin/audit?service=order'],
      ['GET', '/v1/api-keys'],
      ['POST', '/v1/api-keys', { name: 'child', scopes: ['orders:read:own'] }],
      ['POST', '/v1/auth/logout'],
    ];
    const answers: ApiResponse[] = await Promise.all(
      routes.map(([method, route, body]) =>
        api(method, route, { token: secret, ...(body ? { body } : {}) }),
      ),
    );
    expect(
      answers.map((answer, i) => `${routes[i]![0]} ${routes[i]![1]} ${answer.status}`),
    ).toEqual(routes.map(([method, route]) => `${method} ${route} 403`));
    for (const answer of answers) expectProblem(answer, 403);

    // Each refusal is on record, for the key; nothing reached a protected step.
    const refused = await authRecords('http.forbidden', adaId, routes.length);
    expect(refused).toHaveLength(routes.length);
    for (const record of refused) expect(record.detail).toContain(`API key ${id} scoped to []`);
    const acts = await api('GET', `/v1/admin/audit?service=order&actor=${adaId}&limit=100`, {
      token: ada,
    });
    expect(acts.json).toEqual([]);
    expect(await authRecords('customer.delete', adaId, 0)).toEqual([]);
    expect(await authRecords('api-key.create', adaId, 1)).toHaveLength(1);
    const alice = await tokenFor('alice');
    expect((await api('GET', `/v1/orders/${order.id}`, { token: alice })).json.status).toBe('paid');
    expect(
      (await api('GET', '/v1/products')).json.find((p: { sku: string }) => p.sku === 'CIT-MUG')
        .price_cents,
    ).toBe(price);

    // Behind the gateway (a caller holding gateway's certificate and the key's JWT), every
    // service refuses it too: the JWT carries an empty scope, not "the admin role".
    const orderJwt = await internalJwtFor(secret, 'order');
    const orders = grpcClient('order', 'gateway');
    const payment = grpcClient('payment', 'order');
    try {
      const calls = await Promise.all([
        orders.rpc.getOrder({ id: order.id }, orderJwt),
        orders.rpc.listOrders({}, orderJwt),
        orders.rpc.createOrder(mug, orderJwt),
        orders.rpc.refundOrder({ id: order.id }, orderJwt),
        orders.rpc.setPrice({ sku: 'CIT-MUG', price_cents: 1 }, orderJwt),
        payment.rpc.charge(
          {
            order_id: order.id,
            user_id: adaId,
            amount_cents: 100,
            currency: 'EUR',
            idempotency_key: `scopeless-${id}`,
            payment_token: 'tok_visa',
          },
          orderJwt,
        ),
      ]);
      expect(calls.map((call) => status[call.code])).toEqual([
        'NOT_FOUND',
        'PERMISSION_DENIED',
        'PERMISSION_DENIED',
        'PERMISSION_DENIED',
        'PERMISSION_DENIED',
        'PERMISSION_DENIED',
      ]);
    } finally {
      orders.close();
      payment.close();
    }
  }, 60_000);
});

describe('a key scoped to reading orders', () => {
  it('reads a pending order without charging it or failing it; placing it again with its key pays it', async () => {
    const alice = await tokenFor('alice');
    const idempotencyKey = `e2e-pending-${Date.now()}`;
    const mug = { items: [{ sku: 'CIT-MUG', quantity: 1 }] };
    const place = () =>
      api('POST', '/v1/orders', {
        token: alice,
        body: mug,
        headers: { 'idempotency-key': idempotencyKey },
      });

    // Payment is down while the order is placed: it is left pending, never charged.
    await own.system.stopService('payment');
    expectProblem(await place(), 503);
    await own.system.startService('payment');
    // Reads below must find payment reachable from order (else nothing could be charged
    // anyway): bob's orders are retried until one is paid.
    const bob = await tokenFor('bob');
    const deadline = Date.now() + 30_000;
    let probe = await api('POST', '/v1/orders', { token: bob, body: mug });
    while (probe.status === 503 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      probe = await api('POST', '/v1/orders', { token: bob, body: mug });
    }
    expect(probe.json.status).toBe('paid');
    const pending = (await api('GET', '/v1/orders', { token: alice })).json.find(
      (order: { status: string }) => order.status === 'pending',
    ) as { id: string };
    expect(pending).toBeDefined();

    const reader = await api('POST', '/v1/api-keys', {
      token: alice,
      body: { name: 'reader', scopes: ['orders:read:own'] },
    });
    const key = reader.json.secret as string;
    // Reads, at once, by the key (which may not pay) and by the owner's session (which may).
    const reads = await Promise.all([
      ...Array.from({ length: 6 }, () => api('GET', `/v1/orders/${pending.id}`, { token: key })),
      ...Array.from({ length: 3 }, () => api('GET', `/v1/orders/${pending.id}`, { token: alice })),
      api('GET', '/v1/orders', { token: key }),
    ]);
    expect(reads.map((read) => read.status)).toEqual(Array(10).fill(200));
    const statuses = reads
      .slice(0, 9)
      .map((read) => read.json.status)
      .concat(reads[9]!.json.find((order: { id: string }) => order.id === pending.id).status);
    expect(statuses).toEqual(Array(10).fill('pending'));
    // The one charge attempt on record is the placing's, which payment did not answer:
    // no read asked payment for anything.
    const charges = await api(
      'GET',
      '/v1/admin/audit?service=order&action=order.charge&limit=100',
      {
        token: await tokenFor('ada'),
      },
    );
    expect(charges.json.filter((r: { target: string }) => r.target === pending.id)).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        detail: expect.stringContaining('payment answered UNAVAILABLE'),
      }),
    ]);

    const paid = await place();
    expect(paid.status).toBe(201);
    expect(paid.json).toMatchObject({ id: pending.id, status: 'paid' });
  }, 60_000);
});
