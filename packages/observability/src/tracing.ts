import {
  context,
  diag,
  DiagLogLevel,
  type DiagLogger,
  propagation,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import { EdgePropagator } from './edge-propagator.js';
import { citadelInstrumentations } from './instrumentations.js';
import { PropagatingTracerProvider } from './propagating-tracer.js';
/** The OpenTelemetry settings Citadel reads (the standard variable names). */
export interface TracingEnv {
  /** Base URL of an OTLP/HTTP collector, e.g. `http://localhost:4318`; `/v1/traces` is appended. */
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  /** The full traces URL; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
}

export interface TracingOptions extends TracingEnv {
  /** Where export failures are reported (warn), instead of nowhere. */
  logger?: Logger;
  /** Export to this instead of OTLP (tests). */
  exporter?: SpanExporter;
  /** How long `shutdown()` waits for the last export; default 2 s. */
  shutdownExportMs?: number;
  /** The gateway: a client's `traceparent` is never continued, only linked. */
  edge?: boolean;
  /** Instead of Citadel's (tests). */
  instrumentations?: Instrumentation[];
}

export interface Tracing {
  /** The OTLP traces URL spans are exported to, or undefined when export is off. */
  readonly exportUrl: string | undefined;
  readonly exporting: boolean;
  /** Where export failures go (warn, at most once a minute), once the service has its logger. */
  logErrorsTo(logger: Logger): void;
  /** Exports what is still queued, then unregisters everything `initTracing` registered. */
  shutdown(): Promise<void>;
}

/** What `initTracing` started in this process, or a Tracing that holds nothing. */
let running: Tracing | undefined;

/** Returns the tracing started by this process's instrumentation module (see `initTracing`). */
export function processTracing(): Tracing {
  return running ?? NOT_STARTED;
}

const NOT_STARTED: Tracing = {
  exportUrl: undefined,
  exporting: false,
  logErrorsTo: () => {},
  shutdown: async () => {},
};

/**
 * Starts OpenTelemetry's Node SDK for this process, once, in its first module (a service's
 * `instrumentation.ts`, loaded with `node --import` before `main.js`): the instrumentations
 * (http, Fastify, grpc-js, pg, ioredis) patch their modules when those are loaded, so they
 * must be enabled first. The active span travels in an AsyncLocalStorage context: on Node
 * 24 and later it is built on AsyncContextFrame, without V8's promise hooks.
 *
 * Export is off unless an OTLP endpoint is configured: then spans are batched to it over
 * HTTP. Without one, spans still get real W3C ids (so the trace id reaches the next hop,
 * the logs, the error bodies and the audit records) and record nothing.
 *
 * `edge` (the gateway only): incoming HTTP never continues a client's trace (see
 * `EdgePropagator`); inside the mesh (mTLS-authenticated gRPC) the caller's trace is
 * continued.
 */
export function initTracing(service: string, options: TracingOptions = {}): Tracing {
  if (running) throw new Error('initTracing: tracing is already started in this process');
  const shutdownExportMs = options.shutdownExportMs ?? 2_000;
  const exportUrl = otlpTracesUrl(options);
  const exporter =
    options.exporter ?? (exportUrl ? new OTLPTraceExporter({ url: exportUrl }) : undefined);
  const instrumentations =
    options.instrumentations ?? citadelInstrumentations(!!options.edge, exporter !== undefined);
  const sdk = new NodeSDK({
    resource: defaultResource().merge(
      resourceFromAttributes({ 'service.name': service, 'service.namespace': 'citadel' }),
    ),
    autoDetectResources: false,
    contextManager: new AsyncLocalStorageContextManager(),
    textMapPropagator: options.edge ? new EdgePropagator() : new W3CTraceContextPropagator(),
    instrumentations,
    sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    // Traces only: no metrics or logs pipeline is configured from OTEL_* variables.
    spanProcessors: exporter ? [new BatchSpanProcessor({ exporter })] : [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  // With no span processor the SDK registers no tracer provider: the API's no-op tracer
  // would then hand every span its parent's ids (and none at the edge). This one gives
  // every span fresh W3C ids and records nothing (see propagating-tracer.ts).
  if (!exporter) trace.setGlobalTracerProvider(new PropagatingTracerProvider());
  if (options.logger) diag.setLogger(diagnosticsTo(options.logger), DiagLogLevel.WARN);
  let logger = options.logger;
  const tracing: Tracing = {
    exportUrl: exporter ? (exportUrl ?? 'custom exporter') : undefined,
    exporting: exporter !== undefined,
    logErrorsTo(to) {
      logger = to;
      diag.setLogger(diagnosticsTo(to), DiagLogLevel.WARN);
    },
    /**
     * Never rejects, and waits for the collector at most 2 s: the exporter retries a
     * collector that is down for ~9 s, and the service's own shutdown comes first.
     */
    async shutdown() {
      let timer: NodeJS.Timeout | undefined;
      const gaveUp = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), shutdownExportMs).unref();
      });
      try {
        const outcome = await Promise.race([sdk.shutdown(), gaveUp]);
        if (outcome === 'timeout')
          throw new Error(`collector did not answer in ${shutdownExportMs} ms`);
      } catch (error) {
        logger?.warn(
          { event: 'tracing.error', err: error },
          'spans still queued could not be exported',
        );
      } finally {
        clearTimeout(timer);
      }
      for (const instrumentation of instrumentations) instrumentation.disable();
      trace.disable();
      propagation.disable();
      context.disable();
      diag.disable();
      running = undefined;
    },
  };
  running = tracing;
  return tracing;
}

/** A collector that is down fails every batch (every 5 s): said once a minute, not each time. */
const DIAGNOSTIC_INTERVAL_MS = 60_000;

/** OpenTelemetry's own warnings and errors (export failures), as throttled log warnings. */
function diagnosticsTo(logger: Logger): DiagLogger {
  let last = -Infinity;
  const warn = (message: string) => {
    const now = Date.now();
    if (now - last < DIAGNOSTIC_INTERVAL_MS) return;
    last = now;
    logger.warn(
      { event: 'tracing.error', detail: String(message).slice(0, 500) },
      'tracing: span export failed (said at most once a minute)',
    );
  };
  const quiet = () => {};
  return { error: warn, warn, info: quiet, debug: quiet, verbose: quiet };
}

/**
 * The export settings of a process's environment (`process.env` in a service's first
 * module, before its env schema is read; the schema validates the same variables).
 */
export function tracingEnvOf(env: Record<string, string | undefined>): TracingEnv {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
  };
}

/** The OTLP/HTTP traces URL the standard variables name, if any. */
export function otlpTracesUrl(env: TracingEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return undefined;
}
