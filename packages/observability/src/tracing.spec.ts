import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { createLogger } from './logger.js';
import { startEdgeSpan, startServerSpan, traceFields } from './server-span.js';
import { initTracing, otlpTracesUrl, type Tracing } from './tracing.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

/** Collects exported spans (the SDK's InMemorySpanExporter forgets them on shutdown). */
function collectingExporter(): SpanExporter & { spans: ReadableSpan[] } {
  const spans: ReadableSpan[] = [];
  return {
    spans,
    export: (batch, done) => {
      spans.push(...batch);
      done({ code: 0 });
    },
    shutdown: async () => {},
  };
}

function captureLines() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('test', 'info', {
    write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

describe('server spans', () => {
  it('continue a valid traceparent: same trace id, a new span id as the next parent', () => {
    const span = startServerSpan('GET /v1/orders/:id', INCOMING);
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(span.spanId).not.toBe('00f067aa0ba902b7');
    expect(span.traceparent).toBe(`00-${TRACE_ID}-${span.spanId}-01`);
  });

  it('keep the caller sampling decision', () => {
    const span = startServerSpan('x', `00-${TRACE_ID}-00f067aa0ba902b7-00`);
    expect(span.traceparent).toBe(`00-${TRACE_ID}-${span.spanId}-00`);
  });

  it.each([
    undefined,
    '',
    'garbage',
    ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-XYZ\r\nInjected: 1',
  ])('start a fresh, sampled trace for %p', (incoming) => {
    const span = startServerSpan('x', incoming);
    expect(span.traceparent).toMatch(TRACEPARENT);
    expect(span.traceId).not.toBe(TRACE_ID);
    expect(span.traceId).not.toMatch(/^0+$/);
    expect(span.traceparent.endsWith('-01')).toBe(true);
  });
});

describe('edge spans', () => {
  it.each([INCOMING, `00-${TRACE_ID}-00f067aa0ba902b7-00`, undefined, 'garbage'])(
    'start a trace of their own, sampled, whatever the client sent (%p)',
    (incoming) => {
      const span = startEdgeSpan('GET /v1/orders/:id', incoming);
      expect(span.traceparent).toMatch(TRACEPARENT);
      expect(span.traceId).not.toBe(TRACE_ID);
      expect(span.traceparent).toBe(`00-${span.traceId}-${span.spanId}-01`);
    },
  );
});

describe('initTracing without an exporter', () => {
  let tracing: Tracing;
  beforeEach(() => {
    tracing = initTracing('test');
  });
  afterEach(() => tracing.shutdown());

  it('is off by default', () => {
    expect(tracing.exporting).toBe(false);
    expect(tracing.exportUrl).toBeUndefined();
  });

  it('registers no ambient context: nothing is ever "active", so no promise hooks run', async () => {
    const span = trace.wrapSpanContext({
      traceId: TRACE_ID,
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
    const seen = await context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
      const now = trace.getActiveSpan();
      await sleep(1);
      return [now, trace.getActiveSpan()];
    });
    expect(seen).toEqual([undefined, undefined]);
  });

  it('leaves the trace on a log line to the line: traceFields(span) names it', () => {
    const { logger, lines } = captureLines();
    const span = startServerSpan('x', INCOMING);
    logger.info({ event: 'about-the-request', ...traceFields(span) }, 'one');
    logger.child(traceFields(span)).warn('two');
    logger.info({ event: 'not-about-a-request' }, 'three');
    expect(lines[0]).toMatchObject({
      service: 'test',
      event: 'about-the-request',
      trace_id: TRACE_ID,
      span_id: span.spanId,
    });
    expect(lines[1]).toMatchObject({ trace_id: TRACE_ID, span_id: span.spanId });
    expect(lines[2]).not.toHaveProperty('trace_id');
  });
});

/** A stand-in OTLP/HTTP collector answering every export with `status`, after `delayMs`. */
async function collectorAnswering(status: number, delayMs = 0) {
  const received: { url?: string; body: string }[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ url: request.url, body });
      setTimeout(
        () => response.writeHead(status, { 'content-type': 'application/json' }).end('{}'),
        delayMs,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('initTracing with an exporter', () => {
  it('records server spans as children of the caller and exports them on shutdown', async () => {
    const exporter = collectingExporter();
    const tracing = initTracing('order', { exporter });
    expect(tracing.exporting).toBe(true);
    const ok = startServerSpan('citadel.order.v1.OrderService/GetOrder', INCOMING, {
      'rpc.system': 'grpc',
    });
    ok.end({ 'rpc.grpc.status_code': 0 });
    const failed = startServerSpan('citadel.order.v1.OrderService/CreateOrder', undefined);
    failed.end({ 'rpc.grpc.status_code': 7 }, 'PERMISSION_DENIED');
    await tracing.shutdown();

    expect(exporter.spans).toHaveLength(2);
    const [first, second] = exporter.spans;
    expect(first?.spanContext()).toMatchObject({ traceId: TRACE_ID, spanId: ok.spanId });
    expect(first?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(first?.attributes).toEqual({ 'rpc.system': 'grpc', 'rpc.grpc.status_code': 0 });
    expect(first?.resource.attributes['service.name']).toBe('order');
    expect(second?.status).toEqual({ code: 2, message: 'PERMISSION_DENIED' });
    expect(second?.parentSpanContext).toBeUndefined();
  });

  it("records an edge span as a trace root that links the client's context, and only a valid one", async () => {
    const exporter = collectingExporter();
    const tracing = initTracing('gateway', { exporter });
    const linked = startEdgeSpan('POST /v1/orders', INCOMING);
    linked.end();
    startEdgeSpan('POST /v1/orders', '00-XYZ\r\nInjected: 1').end();
    await tracing.shutdown();

    const [first, second] = exporter.spans;
    expect(first?.spanContext().traceId).toBe(linked.traceId);
    expect(first?.spanContext().traceId).not.toBe(TRACE_ID);
    expect(first?.parentSpanContext).toBeUndefined();
    expect(first?.links).toEqual([
      expect.objectContaining({
        context: expect.objectContaining({ traceId: TRACE_ID, spanId: '00f067aa0ba902b7' }),
      }),
    ]);
    expect(second?.parentSpanContext).toBeUndefined();
    expect(second?.links).toEqual([]);
  });

  it('posts OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    const collector = await collectorAnswering(200);
    try {
      const tracing = initTracing('payment', { OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/` });
      expect(tracing.exportUrl).toBe(`${collector.url}/v1/traces`);
      startServerSpan('x', INCOMING).end();
      await tracing.shutdown();
    } finally {
      await collector.close();
    }
    expect(collector.received).toHaveLength(1);
    expect(collector.received[0]?.url).toBe('/v1/traces');
    expect(collector.received[0]?.body).toContain(TRACE_ID);
    expect(collector.received[0]?.body).toContain('"payment"');
  });
});

describe('initTracing with a collector that fails', () => {
  it('says the export failed, and still shuts down', async () => {
    const collector = await collectorAnswering(400);
    const { logger, lines } = captureLines();
    try {
      const tracing = initTracing('order', { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, logger });
      startServerSpan('x', undefined).end();
      await expect(tracing.shutdown()).resolves.toBeUndefined();
    } finally {
      await collector.close();
    }
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.every((line) => line.event === 'tracing.error' && line.level === 40)).toBe(true);
  });

  it('does not hold the service shutdown for a collector that does not answer', async () => {
    const collector = await collectorAnswering(200, 400);
    const { logger, lines } = captureLines();
    try {
      const tracing = initTracing('order', {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        logger,
        shutdownExportMs: 50,
      });
      startServerSpan('x', undefined).end();
      const started = Date.now();
      await tracing.shutdown();
      expect(Date.now() - started).toBeLessThan(300);
      expect(lines[0]).toMatchObject({ event: 'tracing.error', level: 40 });
      await sleep(500); // the late answer, so nothing is left retrying
    } finally {
      await collector.close();
    }
  });
});

describe('otlpTracesUrl', () => {
  it('prefers the traces endpoint, appends /v1/traces to the base one, else is off', () => {
    expect(
      otlpTracesUrl({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom',
      }),
    ).toBe('http://b:4318/custom');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toBe(
      'http://jaeger:4318/v1/traces',
    );
    expect(otlpTracesUrl({})).toBeUndefined();
  });
});
