// Each service owns its data (embedded PostgreSQL here, as `npm start` runs it): nothing
// is lost on restart, a retried or duplicated order never charges twice, a payment killed
// mid-charge ends paid or clearly failed, and injection strings are data, never SQL.
import fs from 'node:fs';
import type { RunningSystem } from '@citadel/launcher';
import { api, expectProblem, tokenFor } from './support/http.js';
import { bootOwnSystem, pidOf } from './support/own-system.js';

let system: RunningSystem;
let dispose: () => Promise<void>;

beforeAll(async () => {
  ({ system, dispose } = await bootOwnSystem());
}, 120_000);
afterAll(() => dispose?.());

const order = (name: string, body: object, headers: Record<string, string> = {}) =>
  tokenFor(name).then((token) => api('POST', '/v1/orders', { token, body, headers }));
const mug = { items: [{ sku: 'CIT-MUG', quantity: 1 }] };

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('idempotent orders', () => {
  it('100 concurrent POSTs with one Idempotency-Key → one order, one payment', async () => {
    const key = `e2e-concurrent-${Date.now()}`;
    const before = (await api('GET', '/v1/orders', { token: await tokenFor('bob') })).json.length;
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => order('bob', mug, { 'idempotency-key': key })),
    );
    expect(new Set(responses.map((response) => response.status))).toEqual(new Set([201]));
    expect(new Set(responses.map((response) => response.json.id)).size).toBe(1);
    expect(new Set(responses.map((response) => response.json.payment_id)).size).toBe(1);
    const after = (await api('GET', '/v1/orders', { token: await tokenFor('bob') })).json.length;
    expect(after - before).toBe(1);
  }, 60_000);

  it('the same key with a different body is a 409 problem', async () => {
    const key = `e2e-conflict-${Date.now()}`;
    expect((await order('bob', mug, { 'idempotency-key': key })).status).toBe(201);
    const conflict = await order(
      'bob',
      { items: [{ sku: 'CIT-TEE', quantity: 2 }] },
      { 'idempotency-key': key },
    );
    expectProblem(conflict, 409);
    expect(conflict.json.detail).toMatch(/Idempotency-Key was used for a different request/);
  });

  it('a declined payment is a 402 problem, and the order is payment_failed', async () => {
    const declined = await order('bob', { ...mug, payment_token: 'tok_decline' });
    expectProblem(declined, 402);
    const orderId = /order ([0-9a-f-]{36})/.exec(declined.json.detail)![1];
    const stored = await api('GET', `/v1/orders/${orderId}`, { token: await tokenFor('bob') });
    expect(stored.json).toMatchObject({
      status: 'payment_failed',
      failure_reason: 'card_declined',
    });
  });
});

describe('a payment killed mid-charge', () => {
  it('the retry with the same key ends paid, with exactly one payment', async () => {
    const key = `e2e-crash-${Date.now()}`;
    const slow = { ...mug, payment_token: 'tok_slow' };
    const since = fs.readFileSync(system.logFile('payment'), 'utf8').length;
    const inFlight = order('alice', slow, { 'idempotency-key': key });
    await until('the capture to start', () =>
      fs
        .readFileSync(system.logFile('payment'), 'utf8')
        .slice(since)
        .includes('payment.capture.started'),
    );
    process.kill(pidOf(system, 'payment'), 'SIGKILL');
    const interrupted = await inFlight;
    expectProblem(interrupted, 503);

    // While payment is down the order is pending, not lost and not failed.
    const pending = (await api('GET', '/v1/orders', { token: await tokenFor('alice') })).json;
    expect(pending.filter((o: { status: string }) => o.status === 'pending')).toHaveLength(1);

    await system.startService('payment');
    const retried = await order('alice', slow, { 'idempotency-key': key });
    expect(retried.status).toBe(201);
    expect(retried.json.status).toBe('paid');
    const again = await order('alice', slow, { 'idempotency-key': key });
    expect(again.json).toMatchObject({ id: retried.json.id, payment_id: retried.json.payment_id });
    const mine = (await api('GET', '/v1/orders', { token: await tokenFor('alice') })).json;
    expect(mine.filter((o: { id: string }) => o.id === retried.json.id)).toHaveLength(1);
    expect(mine.some((o: { status: string }) => o.status === 'pending')).toBe(false);
  }, 60_000);
});

describe('injection strings are data, never SQL', () => {
  const PAYLOADS = [
    "' OR '1'='1",
    "'; DROP TABLE orders; --",
    'CIT-MUG"); DELETE FROM products; --',
    '1; SELECT pg_sleep(5)',
    "x' UNION SELECT password_hash FROM users --",
  ];

  it.each(PAYLOADS)(
    '%s in every text field: a 4xx problem, and every table intact',
    async (payload) => {
      const token = await tokenFor('ada');
      const customers = (await api('GET', '/v1/customers', { token })).json.length;
      const answers = await Promise.all([
        api('POST', '/v1/auth/login', { body: { email: payload, password: payload } }),
        api('POST', '/v1/auth/login', {
          body: { email: `${payload}@citadel.test`, password: 'x' },
        }),
        api('POST', '/v1/orders', { token, body: { items: [{ sku: payload, quantity: 1 }] } }),
        api('POST', '/v1/orders', { token, body: { ...mug, payment_token: payload } }),
        api('POST', '/v1/orders', { token, body: mug, headers: { 'idempotency-key': payload } }),
        api('GET', `/v1/orders/${encodeURIComponent(payload)}`, { token }),
        api('DELETE', `/v1/customers/${encodeURIComponent(payload)}`, { token }),
        api('PUT', `/v1/products/${encodeURIComponent(payload)}/price`, {
          token,
          body: { price_cents: 1 },
        }),
      ]);
      for (const answer of answers) {
        expect(answer.status).toBeGreaterThanOrEqual(400);
        expect(answer.status).toBeLessThan(500);
        expect(answer.headers['content-type']).toMatch(/application\/problem\+json/);
      }
      const products = await api('GET', '/v1/products');
      expect(products.json.map((product: { sku: string }) => product.sku)).toEqual([
        'CIT-BOOK',
        'CIT-KEY',
        'CIT-MUG',
        'CIT-TEE',
      ]);
      expect((await api('GET', '/v1/customers', { token })).json.length).toBe(customers);
      expect((await api('GET', '/v1/orders', { token })).status).toBe(200);
    },
  );
});

describe('restarting every process', () => {
  it('keeps every order, payment, price, user and session', async () => {
    const token = await tokenFor('alice');
    const admin = await tokenFor('ada');
    const placed = await order('alice', mug);
    await api('PUT', '/v1/products/CIT-BOOK/price', { token: admin, body: { price_cents: 4100 } });
    const cancelled = await order('alice', mug);
    await api('POST', `/v1/orders/${cancelled.json.id}/cancel`, { token });
    const before = (await api('GET', '/v1/orders', { token: admin })).json;

    const pids = (['auth', 'order', 'payment', 'gateway'] as const).map((s) => pidOf(system, s));
    for (const service of ['gateway', 'order', 'payment', 'auth', 'vault'] as const)
      await system.stopService(service);
    await system.startService('vault');
    await system.startService('auth');
    await Promise.all([system.startService('payment'), system.startService('order')]);
    await system.startService('gateway');
    const after = (['auth', 'order', 'payment', 'gateway'] as const).map((s) => pidOf(system, s));
    expect(after.some((pid, index) => pid === pids[index])).toBe(false);

    // The same opaque token still works: sessions live in auth's database.
    const orders = (await api('GET', '/v1/orders', { token: admin })).json;
    expect(orders).toEqual(before);
    expect((await api('GET', `/v1/orders/${placed.json.id}`, { token })).json).toMatchObject({
      status: 'paid',
      payment_id: placed.json.payment_id,
    });
    expect((await api('GET', `/v1/orders/${cancelled.json.id}`, { token })).json.status).toBe(
      'cancelled',
    );
    const book = (await api('GET', '/v1/products')).json.find(
      (product: { sku: string }) => product.sku === 'CIT-BOOK',
    );
    expect(book.price_cents).toBe(4100);
  }, 90_000);
});
