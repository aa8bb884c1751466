// Ownership lives in the service that owns the data: order checks order.user_id == sub
// unless the role grants orders:read:any. Someone else's order does not exist for you.
import { api, expectProblem, placeOrder, tokenFor } from './support/http.js';

describe('order ownership', () => {
  let alicesOrder: { id: string; user_id: string };

  beforeAll(async () => {
    alicesOrder = await placeOrder('alice');
  });

  it("bob reading alice's order → 404, the same answer as for an order that does not exist", async () => {
    const bob = await tokenFor('bob');
    const theirs = await api('GET', `/v1/orders/${alicesOrder.id}`, { token: bob });
    const nobodys = await api('GET', '/v1/orders/00000000-0000-4000-8000-000000000000', {
      token: bob,
    });
    expectProblem(theirs, 404);
    expectProblem(nobodys, 404);
    expect({ ...theirs.json, trace_id: '' }).toEqual({ ...nobodys.json, trace_id: '' });
  });

  it("bob cannot cancel alice's order (404) and it stays paid", async () => {
    expectProblem(
      await api('POST', `/v1/orders/${alicesOrder.id}/cancel`, { token: await tokenFor('bob') }),
      404,
    );
    const order = await api('GET', `/v1/orders/${alicesOrder.id}`, {
      token: await tokenFor('alice'),
    });
    expect(order.json.status).toBe('paid');
  });

  it('a customer lists only their own orders; support sees everyone’s', async () => {
    await placeOrder('bob');
    const bobs = await api('GET', '/v1/orders', { token: await tokenFor('bob') });
    expect(bobs.json.length).toBeGreaterThan(0);
    expect(
      bobs.json.every((order: { user_id: string }) => order.user_id !== alicesOrder.user_id),
    ).toBe(true);
    const all = await api('GET', '/v1/orders', { token: await tokenFor('sam') });
    expect(all.json.some((order: { id: string }) => order.id === alicesOrder.id)).toBe(true);
  });

  it('totals come from the catalogue, not the client', async () => {
    const response = await api('POST', '/v1/orders', {
      token: await tokenFor('alice'),
      body: { items: [{ sku: 'CIT-KEY', quantity: 2, unit_price_cents: 1 }], total_cents: 1 },
    });
    expectProblem(response, 400);
    const fair = await api('POST', '/v1/orders', {
      token: await tokenFor('alice'),
      body: { items: [{ sku: 'CIT-KEY', quantity: 2 }] },
    });
    const products = await api('GET', '/v1/products');
    const price = products.json.find(
      (product: { sku: string }) => product.sku === 'CIT-KEY',
    ).price_cents;
    expect(fair.status).toBe(201);
    expect(fair.json.total_cents).toBe(2 * price);
    expect(fair.json.status).toBe('paid');
  });
});
