import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { createLogger } from './logger.js';
import { activeTraceId, activeTraceparent, startServerSpan } from './server-span.js';
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

  it('are not active outside run()', () => {
    startServerSpan('x', INCOMING);
    expect(activeTraceId()).toBeUndefined();
    expect(activeTraceparent()).toBeUndefined();
  });
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

  it('keeps the span active through the awaits of the work it runs', async () => {
    const span = startServerSpan('x', INCOMING);
    const seen = await span.run(async () => {
      await sleep(1);
      await Promise.resolve();
      return { traceId: activeTraceId(), traceparent: activeTraceparent() };
    });
    expect(seen).toEqual({ traceId: TRACE_ID, traceparent: span.traceparent });
    expect(activeTraceId()).toBeUndefined();
  });

  it('keeps concurrent requests apart', async () => {
    const a = startServerSpan('a', undefined);
    const b = startServerSpan('b', undefined);
    const [seenA, seenB] = await Promise.all([
      a.run(async () => {
        await sleep(5);
        return activeTraceId();
      }),
      b.run(async () => {
        await sleep(1);
        return activeTraceId();
      }),
    ]);
    expect([seenA, seenB]).toEqual([a.traceId, b.traceId]);
  });

  it('stamps the active trace id on every log line written during a request', async () => {
    const { logger, lines } = captureLines();
    logger.info({ event: 'outside' }, 'before');
    const span = startServerSpan('x', INCOMING);
    await span.run(async () => {
      logger.info({ event: 'inside' }, 'one');
      await sleep(1);
      logger.child({ component: 'c' }).warn('two');
    });
    logger.info('after');
    expect(lines.map((line) => line.trace_id)).toEqual([undefined, TRACE_ID, TRACE_ID, undefined]);
    expect(lines[1]).toMatchObject({ service: 'test', event: 'inside', span_id: span.spanId });
    expect(lines[2]).toMatchObject({ component: 'c', trace_id: TRACE_ID });
  });

  it('lets a line name its own trace id', () => {
    const { logger, lines } = captureLines();
    startServerSpan('x', INCOMING).run(() => logger.info({ trace_id: 'mine' }, 'explicit'));
    expect(lines[0]?.trace_id).toBe('mine');
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
