import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import Fastify from 'fastify';
import { createLogger, initTracing, traceFields, type Tracing } from '@citadel/observability';
import { traceOf, traceRequests } from './trace.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('request tracing', () => {
  let tracing: Tracing;
  const lines: Record<string, unknown>[] = [];
  const app = Fastify();

  beforeAll(async () => {
    tracing = initTracing('gateway');
    const logger = createLogger('gateway', 'info', {
      write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    traceRequests(app, logger);
    // What a controller sees once the body is parsed: its request's span, to log and pass on.
    app.post('/v1/orders', async (request) => {
      await Promise.resolve();
      const span = traceOf(request);
      logger.info({ event: 'handler', ...traceFields(span) }, 'in the handler');
      return { trace: span.traceId, traceparent: span.traceparent };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
  });

  /**
   * A real request (light-my-request's inject needs an ESM module jest cannot load). The
   * body follows the headers a moment later, as over a network: the span started in
   * `onRequest` must still be the request's once it is parsed.
   */
  async function post(traceparent: string, payload: unknown = {}) {
    const { port } = app.server.address() as AddressInfo;
    const response = await new Promise<{ headers: http.IncomingHttpHeaders; text: string }>(
      (resolve, reject) => {
        const request = http.request(
          { host: '127.0.0.1', port, path: '/v1/orders', method: 'POST' },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
            res.on('end', () => resolve({ headers: res.headers, text }));
          },
        );
        request.on('error', reject);
        request.setHeader('traceparent', traceparent);
        request.setHeader('content-type', 'application/json');
        request.flushHeaders();
        void setTimeout(20).then(() => request.end(JSON.stringify(payload)));
      },
    );
    const traceId = response.headers['x-trace-id'];
    // The access line is written once the response is out.
    for (
      let i = 0;
      i < 100 && !lines.some((l) => l.event === 'http.request' && l.trace_id === traceId);
      i++
    )
      await setTimeout(5);
    return {
      traceId,
      json: JSON.parse(response.text) as { trace: string; traceparent: string },
    };
  }

  afterAll(async () => {
    await app.close();
    await tracing.shutdown();
  });

  beforeEach(() => (lines.length = 0));

  it("starts its own trace over a client's valid traceparent: header, handler, its log lines and the access line", async () => {
    const response = await post(`00-${TRACE_ID}-00f067aa0ba902b7-01`, { items: [] });
    const traceId = response.traceId as string;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe(TRACE_ID);
    // The span the next hop gets as its parent is this request's own, not the client's.
    const spanId = response.json.traceparent.split('-')[2];
    expect(response.json).toEqual({ trace: traceId, traceparent: `00-${traceId}-${spanId}-01` });
    expect(spanId).not.toBe('00f067aa0ba902b7');
    expect(lines).toEqual([
      expect.objectContaining({ event: 'handler', trace_id: traceId, span_id: spanId }),
      expect.objectContaining({
        event: 'http.request',
        trace_id: traceId,
        span_id: spanId,
        method: 'POST',
        route: '/v1/orders',
        status: 200,
        duration_ms: expect.any(Number),
      }),
    ]);
  });

  it('starts a trace when the header is missing or invalid, and names it everywhere', async () => {
    const response = await post('garbage');
    const traceId = response.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(response.json.trace).toBe(traceId);
    expect(lines.map((line) => line.trace_id)).toEqual([traceId, traceId]);
  });

  it('gives each request its own trace, even when clients send one traceparent', async () => {
    const traceparent = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
    const responses = await Promise.all([post(traceparent), post(traceparent)]);
    const ids = lines.filter((l) => l.event === 'http.request').map((l) => l.span_id);
    const traces = responses.map((r) => r.traceId);
    expect(new Set(traces).size).toBe(2);
    expect(traces).not.toContain(TRACE_ID);
    expect(new Set(ids).size).toBe(2);
  });
});
