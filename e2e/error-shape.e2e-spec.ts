// One error shape at the edge: application/problem+json with a trace id, never a stack
// trace; hostile or malformed input is refused before it reaches a service.
import { api, expectProblem, tokenFor } from './support/http.js';

describe('errors and input at the edge', () => {
  it('unknown route → 404 problem', async () => {
    expectProblem(await api('GET', '/v1/nope'), 404);
  });

  it('malformed JSON → 400 problem', async () => {
    const response = await api('POST', '/v1/auth/login', {
      rawBody: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(response, 400);
  });

  it('oversize body → 413 problem', async () => {
    const response = await api('POST', '/v1/auth/login', {
      body: { email: 'a@b.c', password: 'x'.repeat(100_000) },
    });
    expectProblem(response, 413);
  });

  it('wrong content type → 415 problem', async () => {
    const response = await api('POST', '/v1/auth/login', {
      rawBody: 'email=a',
      headers: { 'content-type': 'text/plain' },
    });
    expectProblem(response, 415);
  });

  it('unknown fields, wrong types and absurd quantities → 400 naming each field', async () => {
    const response = await api('POST', '/v1/orders', {
      token: await tokenFor('alice'),
      body: {
        items: [
          { sku: 'CIT-MUG', quantity: -5 },
          { sku: "'; DROP TABLE orders;--", quantity: 1e9 },
        ],
        isAdmin: true,
      },
    });
    expectProblem(response, 400);
    const fields = response.json.errors.map((error: { field: string }) => error.field);
    expect(fields).toEqual(
      expect.arrayContaining(['isAdmin', 'items.0.quantity', 'items.1.sku', 'items.1.quantity']),
    );
  });

  it('a path id that is not a UUID (traversal) → 400 problem naming the field', async () => {
    const response = await api('GET', '/v1/orders/..%2F..%2Fetc%2Fpasswd', {
      token: await tokenFor('alice'),
    });
    expectProblem(response, 400);
    expect(response.json.errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
    // Nothing of the caller's text is echoed back.
    expect(response.text).not.toContain('passwd');
  });

  it('security headers are set and nothing advertises the stack', async () => {
    const response = await api('GET', '/v1/products');
    expect(response.headers['x-powered-by']).toBeUndefined();
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("an incoming traceparent is not continued: the edge's own trace id is returned", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await api('GET', '/v1/nope', {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(response.json.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(response.json.trace_id).not.toBe(traceId);
    expect(response.headers['x-trace-id']).toBe(response.json.trace_id);
  });

  it('GET /docs/openapi.json describes the API with the bearer scheme and error responses', async () => {
    const response = await api('GET', '/docs/openapi.json');
    expect(response.status).toBe(200);
    expect(response.json.openapi).toMatch(/^3\./);
    expect(Object.keys(response.json.paths)).toEqual(
      expect.arrayContaining([
        '/v1/auth/login',
        '/v1/orders',
        '/v1/orders/{id}',
        '/v1/customers/{id}',
        '/v1/products/{sku}/price',
      ]),
    );
    expect(JSON.stringify(response.json.components.securitySchemes)).toContain('bearer');
    expect(response.json.paths['/v1/orders/{id}'].get.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'id',
          in: 'path',
          required: true,
          schema: expect.objectContaining({ format: 'uuid' }),
        }),
      ]),
    );
    expect(response.json.paths['/v1/orders'].post.responses).toHaveProperty('401');
    expect(response.json.paths['/v1/orders'].post.responses).toHaveProperty('403');
  });

  it('/healthz and /readyz answer', async () => {
    expect((await api('GET', '/healthz')).status).toBe(200);
    expect((await api('GET', '/readyz')).json.status).toBe('ready');
  });
});
