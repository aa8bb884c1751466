// Seed 003: machine clients use API keys: shown once, stored hashed, limited to scopes
// their owner's role grants, revocable at once, and exchanged like any access token.
import { api, expectProblem, placeOrder, tokenFor } from './support/http.js';

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
