// With an OTLP collector configured, every hop exports its span of the request's trace, each
// the child of the hop before it: gateway → order → payment. The trace starts at the
// gateway: the client's traceparent is a span link on the gateway's span, never its parent.
// (Export is off by default; the suite's shared system runs without it.)
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bootOwnSystem } from './support/own-system.js';
import { api, tokenFor } from './support/http.js';

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  links?: { traceId: string; spanId: string }[];
  /** The instrumentation that made it (its OTLP scope's name). */
  scope: string;
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: { scope?: { name?: string }; spans?: Omit<ExportedSpan, 'service' | 'scope'>[] }[];
  }[];
}

/** A stand-in OTLP/HTTP collector: keeps every span posted to /v1/traces (JSON encoding). */
async function startCollector() {
  const spans: ExportedSpan[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        for (const resource of (JSON.parse(body) as OtlpJson).resourceSpans ?? []) {
          const service =
            resource.resource?.attributes?.find((a) => a.key === 'service.name')?.value
              .stringValue ?? '?';
          for (const scope of resource.scopeSpans ?? [])
            for (const span of scope.spans ?? [])
              spans.push({ service, scope: scope.scope?.name ?? '?', ...span });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('trace export (OTLP/HTTP)', () => {
  it("one order is one trace from the gateway: gateway, order and payment spans, each the child of the last; the client's context a link", async () => {
    const collector = await startCollector();
    const clientTraceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const own = await bootOwnSystem({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url } });
    let traceId: string;
    try {
      const response = await api('POST', '/v1/orders', {
        token: await tokenFor('alice'),
        body: { items: [{ sku: 'CIT-MUG', quantity: 1 }] },
        headers: { traceparent: `00-${clientTraceId}-${clientSpanId}-01` },
      });
      expect(response.status).toBe(201);
      traceId = response.headers['x-trace-id'] as string;
    } finally {
      // Each service exports what is still queued as it stops.
      await own.dispose();
      await collector.close();
    }
    const spans = collector.spans.filter((span) => span.traceId === traceId);
    const only = (service: string, name: string, kind: number) => {
      const found = spans.filter(
        (span) => span.service === service && span.name === name && span.kind === kind,
      );
      expect(found).toHaveLength(1);
      return found[0]!;
    };
    const parentOf = (span: ExportedSpan) => spans.find((s) => s.spanId === span.parentSpanId);
    // OTLP SpanKind: 2 server, 3 client. The gateway's HTTP server span is the root; each
    // gRPC hop is a client span in the caller and a server span, its child, in the callee.
    const gateway = only('gateway', 'POST /v1/orders', 2);
    const toOrder = only('gateway', 'grpc.citadel.order.v1.OrderService/CreateOrder', 3);
    const order = only('order', 'grpc.citadel.order.v1.OrderService/CreateOrder', 2);
    const toPayment = only('order', 'grpc.citadel.payment.v1.PaymentService/Charge', 3);
    const payment = only('payment', 'grpc.citadel.payment.v1.PaymentService/Charge', 2);
    expect(traceId).not.toBe(clientTraceId);
    expect(gateway.parentSpanId ?? '').toBe('');
    expect(gateway.links).toEqual([
      expect.objectContaining({ traceId: clientTraceId, spanId: clientSpanId }),
    ]);
    // Nothing anywhere was exported under the client's trace id.
    expect(collector.spans.filter((span) => span.traceId === clientTraceId)).toEqual([]);
    expect(order.parentSpanId).toBe(toOrder.spanId);
    expect(toPayment.parentSpanId).toBe(order.spanId);
    expect(payment.parentSpanId).toBe(toPayment.spanId);
    // The gateway's client span descends from its request's root span.
    let ancestor: ExportedSpan | undefined = toOrder;
    while (ancestor && ancestor.spanId !== gateway.spanId) ancestor = parentOf(ancestor);
    expect(ancestor).toBe(gateway);
    // With a collector, the span-heavy instrumentations run too (without one they are not
    // even enabled: see packages/observability/src/instrumentations.ts): Fastify's hook and
    // handler spans under the gateway's request. (Query spans come from the pg driver, so
    // only on a PostgreSQL server: tracing.spec.ts checks the set.)
    let fastifySpans = 0;
    for (const span of spans.filter(
      (s) => s.service === 'gateway' && s.scope === '@fastify/otel',
    )) {
      let at = parentOf(span);
      while (at && at !== gateway) at = parentOf(at);
      if (at === gateway) fastifySpans++;
    }
    expect(fastifySpans).toBeGreaterThan(0);
  }, 90_000);
});
