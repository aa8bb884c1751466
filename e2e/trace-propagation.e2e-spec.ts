// One trace per request, started at the edge: the gateway carries it in gRPC metadata to
// order and from order to payment, and its trace id is in each hop's JSON logs, in the audit
// record, in the `x-trace-id` header and in every error body. A client's `traceparent` is
// never that id (it would let a client file its requests under a trace of its choosing):
// the gateway keeps it as a span link only (see trace-export.e2e-spec.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { api, expectProblem, tokenFor } from './support/http.js';
import { e2eState } from './support/state.js';

type LogLine = Record<string, unknown>;

function logLines(service: string): LogLine[] {
  const file = path.join(e2eState().home, 'logs', `${service}.log`);
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

/** The service's log lines of this trace, once `expected` of them is there (the log is async to the response). */
async function traceLines(service: string, traceId: string, expected: LogLine): Promise<LogLine[]> {
  for (let attempt = 0; ; attempt++) {
    const lines = logLines(service).filter((line) => line.trace_id === traceId);
    if (lines.some((line) => Object.entries(expected).every(([k, v]) => line[k] === v)))
      return lines;
    if (attempt === 20) return lines;
    await sleep(100);
  }
}

function newTrace() {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

describe('trace propagation', () => {
  it('one POST /v1/orders is one trace, started at the edge, through gateway, order and payment', async () => {
    const client = newTrace();
    const response = await api('POST', '/v1/orders', {
      token: await tokenFor('alice'),
      body: { items: [{ sku: 'CIT-MUG', quantity: 1 }] },
      headers: { traceparent: client.traceparent },
    });
    expect(response.status).toBe(201);
    const traceId = response.headers['x-trace-id'] as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe(client.traceId);

    const gateway = await traceLines('gateway', traceId, { event: 'http.request' });
    expect(gateway).toContainEqual(
      expect.objectContaining({
        event: 'http.request',
        method: 'POST',
        route: '/v1/orders',
        status: 201,
        duration_ms: expect.any(Number),
      }),
    );
    const order = await traceLines('order', traceId, { event: 'rpc.handled' });
    expect(order).toContainEqual(
      expect.objectContaining({
        event: 'rpc.handled',
        method: 'CreateOrder',
        caller: 'gateway',
        status: 'OK',
      }),
    );
    const payment = await traceLines('payment', traceId, { event: 'rpc.handled' });
    expect(payment).toContainEqual(
      expect.objectContaining({ event: 'rpc.handled', method: 'Charge', caller: 'order' }),
    );
    // Each hop is its own span of the one trace.
    const spans = [...gateway, ...order, ...payment].map((line) => line.span_id).filter(Boolean);
    expect(new Set(spans).size).toBeGreaterThanOrEqual(2);

    // And the audit record of the act names the same trace.
    const audit = await api('GET', `/v1/admin/audit?service=order&trace_id=${traceId}`, {
      token: await tokenFor('ada'),
    });
    expect(audit.status).toBe(200);
    expect(audit.json).toContainEqual(
      expect.objectContaining({
        action: 'order.create',
        target: response.json.id,
        trace_id: traceId,
      }),
    );

    // The client's trace id names nothing: no log line of any hop, no audit record.
    for (const service of ['gateway', 'order', 'payment'])
      expect(logLines(service).filter((line) => line.trace_id === client.traceId)).toEqual([]);
    for (const service of ['auth', 'order']) {
      const chosen = await api(
        'GET',
        `/v1/admin/audit?service=${service}&trace_id=${client.traceId}`,
        { token: await tokenFor('ada') },
      );
      expect(chosen.json).toEqual([]);
    }
  });

  it('concurrent requests sending one traceparent get a trace each, none of them the client one', async () => {
    const client = newTrace();
    const token = await tokenFor('alice');
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        api('GET', '/v1/orders', { token, headers: { traceparent: client.traceparent } }),
      ),
    );
    const traces = responses.map((response) => response.headers['x-trace-id']);
    expect(responses.map((response) => response.status)).toEqual(Array(8).fill(200));
    expect(new Set(traces).size).toBe(8);
    expect(traces).not.toContain(client.traceId);
  });

  it('an error body, its x-trace-id and the logs of every hop it crossed share the trace id', async () => {
    const client = newTrace();
    const response = await api('GET', `/v1/orders/${randomUUID()}`, {
      token: await tokenFor('alice'),
      headers: { traceparent: client.traceparent },
    });
    expectProblem(response, 404);
    const traceId = response.json.trace_id as string;
    expect(traceId).not.toBe(client.traceId);
    expect(response.headers['x-trace-id']).toBe(traceId);
    expect(await traceLines('gateway', traceId, { event: 'http.request' })).toContainEqual(
      expect.objectContaining({ status: 404, route: '/v1/orders/:id' }),
    );
    expect(await traceLines('order', traceId, { event: 'rpc.handled' })).toContainEqual(
      expect.objectContaining({ method: 'GetOrder', status: 'NOT_FOUND' }),
    );
  });

  it.each([
    undefined,
    'garbage',
    `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  ])(
    'a request with traceparent %p starts a trace of its own, named in its answer and its log',
    async (traceparent) => {
      const response = await api('GET', '/v1/nope', {
        headers: traceparent ? { traceparent } : {},
      });
      expectProblem(response, 404);
      const traceId = response.json.trace_id as string;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(traceId).not.toMatch(/^0+$|^4bf92f3577b34da6a3ce929d0e0e4736$/);
      expect(response.headers['x-trace-id']).toBe(traceId);
      expect(await traceLines('gateway', traceId, { event: 'http.request' })).toContainEqual(
        expect.objectContaining({ status: 404 }),
      );
    },
  );
});
