import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type TextMapPropagator,
} from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { activeTraceFields, activeTraceId, traceOfCall } from './active-trace.js';
import { clientContextOf, EdgePropagator } from './edge-propagator.js';
import { citadelInstrumentations } from './instrumentations.js';
import { createLogger } from './logger.js';
import {
  initTracing,
  otlpTracesUrl,
  processTracing,
  tracingEnvOf,
  type Tracing,
} from './tracing.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;
/** Not a valid W3C traceparent: each must start a trace of its own, never continue it. */
const INVALID = [
  undefined,
  '',
  'garbage',
  '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
  '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
  'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  '00-XYZ\r\nInjected: 1',
];

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

/**
 * What an instrumentation does with a request: extracts the caller's context through the
 * global propagator, starts a server span under it and makes it active around the handler.
 */
function serve<T>(headers: Record<string, unknown>, handler: () => T): T {
  const parent = propagation.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const span = trace.getTracer('test').startSpan('server', { kind: SpanKind.SERVER }, parent);
  try {
    return context.with(trace.setSpan(parent, span), handler);
  } finally {
    span.end();
  }
}

/** The traceparent an outgoing call made in the active context carries. */
function outgoingTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

// The instrumentations patch modules as Node loads them, which jest's own module loader
// bypasses: the services' real boot (node --import) is proven by the gateway's trace spec
// and the e2e suite. Here: the SDK, the context, the propagators and the logger.
const noInstrumentations = { instrumentations: [] };

describe('initTracing without an exporter (a service inside the mesh)', () => {
  let tracing: Tracing;
  beforeEach(() => {
    tracing = initTracing('order', noInstrumentations);
  });
  afterEach(() => tracing.shutdown());

  it('is off by default, and is the process tracing', () => {
    expect(tracing.exporting).toBe(false);
    expect(tracing.exportUrl).toBeUndefined();
    expect(processTracing()).toBe(tracing);
    expect(() => initTracing('order', noInstrumentations)).toThrow(/already started/);
  });

  it("continues a caller's valid traceparent: same trace, a new span, the next hop its child", () => {
    const seen = serve({ traceparent: INCOMING }, () => ({
      fields: activeTraceFields(),
      next: outgoingTraceparent(),
    }));
    expect(seen.fields.trace_id).toBe(TRACE_ID);
    expect(seen.fields.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(seen.fields.span_id).not.toBe('00f067aa0ba902b7');
    expect(seen.next).toBe(`00-${TRACE_ID}-${seen.fields.span_id}-01`);
  });

  it('keeps the caller sampling decision', () => {
    const next = serve({ traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-00` }, outgoingTraceparent);
    expect(next).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
  });

  it.each(INVALID)('starts a fresh, sampled trace for %p', (incoming) => {
    const next = serve({ traceparent: incoming }, outgoingTraceparent);
    expect(next).toMatch(TRACEPARENT);
    expect(next).not.toContain(TRACE_ID);
    expect(next?.endsWith('-01')).toBe(true);
  });

  it('keeps the active span across awaits (AsyncLocalStorage), one request apart from another', async () => {
    const request = () =>
      serve({}, async () => {
        const before = activeTraceId();
        await sleep(5);
        await Promise.resolve();
        return [before, activeTraceId()];
      });
    const [a, b] = await Promise.all([request(), request()]);
    expect(a?.[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(a?.[1]).toBe(a?.[0]);
    expect(b?.[1]).toBe(b?.[0]);
    expect(a?.[0]).not.toBe(b?.[0]);
    expect(activeTraceId()).toBeUndefined();
  });

  it("puts the active span's trace on a request's log lines, and none on others", async () => {
    const { logger, lines } = captureLines();
    const fields = await serve({ traceparent: INCOMING }, async () => {
      await sleep(1);
      logger.info({ event: 'about-the-request' }, 'one');
      logger.child({ component: 'x' }).warn('two');
      // A line about another span (the gRPC access line) names it itself.
      logger.info({ event: 'explicit', trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) });
      return activeTraceFields();
    });
    logger.info({ event: 'not-about-a-request' }, 'three');
    expect(lines[0]).toMatchObject({
      service: 'test',
      event: 'about-the-request',
      trace_id: TRACE_ID,
      span_id: fields.span_id,
    });
    expect(lines[1]).toMatchObject({ trace_id: TRACE_ID, span_id: fields.span_id });
    expect(lines[2]).toMatchObject({ trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) });
    expect(lines[3]).not.toHaveProperty('trace_id');
  });

  it("names a call's trace: its server span's, else (no handler ran) its caller's metadata", () => {
    const metadata = (traceparent?: string) => ({
      get: (key: string) => (key === 'traceparent' && traceparent ? [traceparent] : []),
      getMap: () => (traceparent ? { traceparent } : {}),
    });
    expect(traceOfCall(metadata(INCOMING))).toEqual({ traceId: TRACE_ID, spanId: undefined });
    expect(traceOfCall(metadata('garbage'))).toBeUndefined();
    expect(traceOfCall(undefined)).toBeUndefined();
    const inHandler = serve({ traceparent: INCOMING }, () => ({
      call: traceOfCall(metadata(INCOMING)),
      fields: activeTraceFields(),
    }));
    expect(inHandler.call).toEqual({ traceId: TRACE_ID, spanId: inHandler.fields.span_id });
  });
});

describe('initTracing at the edge (the gateway)', () => {
  let tracing: Tracing;
  beforeEach(() => {
    tracing = initTracing('gateway', { ...noInstrumentations, edge: true });
  });
  afterEach(() => tracing.shutdown());

  it.each([INCOMING, `00-${TRACE_ID}-00f067aa0ba902b7-00`, undefined, 'garbage'])(
    'starts a trace of its own, sampled, whatever the client sent (%p), and still injects it',
    (incoming) => {
      const next = serve({ traceparent: incoming }, outgoingTraceparent);
      expect(next).toMatch(TRACEPARENT);
      expect(next).not.toContain(TRACE_ID);
      expect(next?.endsWith('-01')).toBe(true);
    },
  );

  it('gives concurrent requests sending one traceparent a trace each', () => {
    const traces = [1, 2, 3].map(() => serve({ traceparent: INCOMING }, activeTraceId));
    expect(new Set(traces).size).toBe(3);
    expect(traces).not.toContain(TRACE_ID);
  });
});

describe("a client's traceparent at the edge", () => {
  it('is read only when valid W3C, to link to', () => {
    expect(clientContextOf(INCOMING)).toMatchObject({
      traceId: TRACE_ID,
      spanId: '00f067aa0ba902b7',
      isRemote: true,
    });
    for (const invalid of [...INVALID, [INCOMING]])
      expect(clientContextOf(invalid)).toBeUndefined();
  });

  it('is never extracted by the edge propagator', () => {
    const edge: TextMapPropagator = new EdgePropagator();
    const extracted = edge.extract(ROOT_CONTEXT, { traceparent: INCOMING }, defaultTextMapGetter);
    expect(trace.getSpanContext(extracted)).toBeUndefined();
  });
});

describe('initTracing with an exporter', () => {
  it('records server spans as children of the caller and exports them on shutdown', async () => {
    const exporter = collectingExporter();
    const tracing = initTracing('order', { ...noInstrumentations, exporter });
    expect(tracing.exporting).toBe(true);
    const spanId = serve({ traceparent: INCOMING }, () => activeTraceFields().span_id);
    serve({}, () => trace.getActiveSpan()?.setStatus({ code: 2, message: 'PERMISSION_DENIED' }));
    await tracing.shutdown();

    expect(exporter.spans).toHaveLength(2);
    const [first, second] = exporter.spans;
    expect(first?.spanContext()).toMatchObject({ traceId: TRACE_ID, spanId });
    expect(first?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(first?.resource.attributes['service.name']).toBe('order');
    expect(second?.status).toEqual({ code: 2, message: 'PERMISSION_DENIED' });
    expect(second?.parentSpanContext).toBeUndefined();
  });

  it("records an edge span as a trace root; the client's context is a link on it, a valid one only", async () => {
    const exporter = collectingExporter();
    const tracing = initTracing('gateway', { ...noInstrumentations, edge: true, exporter });
    // What the http instrumentation's request hook does at the edge (instrumentations.ts).
    const linked = serve({ traceparent: INCOMING }, () => {
      const client = clientContextOf(INCOMING);
      if (client) trace.getActiveSpan()?.addLink({ context: client });
      return activeTraceId();
    });
    serve({ traceparent: '00-XYZ\r\nInjected: 1' }, () => clientContextOf('00-XYZ\r\nInjected: 1'));
    await tracing.shutdown();

    const [first, second] = exporter.spans;
    expect(first?.spanContext().traceId).toBe(linked);
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
      const tracing = initTracing('payment', {
        ...noInstrumentations,
        OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/`,
      });
      expect(tracing.exportUrl).toBe(`${collector.url}/v1/traces`);
      serve({ traceparent: INCOMING }, () => undefined);
      await tracing.shutdown();
    } finally {
      await collector.close();
    }
    expect(collector.received).toHaveLength(1);
    expect(collector.received[0]?.url).toBe('/v1/traces');
    expect(collector.received[0]?.body).toContain('"payment"');
  });
});

/** A stand-in OTLP/HTTP collector answering every export with `status`, after `delayMs`. */
async function collectorAnswering(status: number, delayMs = 0) {
  const received: { url?: string; body: string }[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
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

describe('initTracing with a collector that fails', () => {
  it('says the export failed, and still shuts down', async () => {
    const collector = await collectorAnswering(400);
    const { logger, lines } = captureLines();
    try {
      const tracing = initTracing('order', {
        ...noInstrumentations,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      });
      // As a service does once it has its logger.
      tracing.logErrorsTo(logger);
      serve({}, () => undefined);
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
        ...noInstrumentations,
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        logger,
        shutdownExportMs: 50,
      });
      serve({}, () => undefined);
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

describe('the export settings', () => {
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

  it('reads the two export settings from an environment, and nothing else', () => {
    expect(
      tracingEnvOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', logger: 'x', edge: '' }),
    ).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
    });
  });
});

describe('citadelInstrumentations', () => {
  // Built, named and switched off again: nothing here loads the modules they patch.
  const names = (instrumentations: ReturnType<typeof citadelInstrumentations>) =>
    instrumentations.map((instrumentation) => {
      instrumentation.disable();
      return instrumentation.instrumentationName;
    });

  it('always carries the trace across HTTP and gRPC; adds Fastify, pg and ioredis spans only for a collector', () => {
    const carriers = ['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-grpc'];
    expect(names(citadelInstrumentations(true, false))).toEqual(carriers);
    expect(names(citadelInstrumentations(false, false))).toEqual(carriers);
    expect(names(citadelInstrumentations(false, true))).toEqual([
      ...carriers,
      '@fastify/otel',
      '@opentelemetry/instrumentation-pg',
      '@opentelemetry/instrumentation-ioredis',
    ]);
  });
});
