import {
  defaultTextMapGetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { currentTracer } from './tracing.js';

/** Used directly (not through the global API) so the helpers work before `initTracing`. */
const w3c = new W3CTraceContextPropagator();

/** One hop's place in a trace: what the logs, the error bodies and the next hop receive. */
export interface TraceContext {
  traceId: string;
  spanId: string;
  /** The W3C `traceparent` to send on the next hop: this hop's span as the parent. */
  traceparent: string;
}

/**
 * The span of one request this process serves (an HTTP request at the gateway, a gRPC
 * call in a service), continuing the caller's trace when it sent a valid `traceparent`.
 * It is never "active": whoever serves the request holds it (the gateway per HTTP
 * request, `@citadel/transport` per gRPC call) and hands its `traceparent` to the next
 * hop and its ids to the log lines it writes (see `initTracing` for why).
 */
export class ServerSpan implements TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceparent: string;

  constructor(private readonly span: Span) {
    const spanContext = span.spanContext();
    this.traceId = spanContext.traceId;
    this.spanId = spanContext.spanId;
    this.traceparent = traceparentOf(spanContext);
  }

  /** Ends the span; `failure` (a short reason, never a secret) marks it as an error. */
  end(attributes?: Attributes, failure?: string): void {
    if (this.span.isRecording()) {
      if (attributes) this.span.setAttributes(attributes);
      if (failure !== undefined)
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: failure });
    }
    this.span.end();
  }
}

/**
 * Starts the server span of a call from inside Citadel (its caller proved who it is with
 * mTLS), continuing the caller's trace. A `traceparent` that is not a valid W3C Trace
 * Context value (https://www.w3.org/TR/trace-context/) starts a new trace; `tracestate`
 * is not taken from callers, so nothing they send travels further than the ids.
 */
export function startServerSpan(
  name: string,
  traceparent: unknown,
  attributes?: Attributes,
): ServerSpan {
  const parent =
    typeof traceparent === 'string'
      ? w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter)
      : ROOT_CONTEXT;
  const span = currentTracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return new ServerSpan(span);
}

/**
 * Starts the server span of a request from outside Citadel: always a trace of its own.
 * The trace id goes into every log line and audit record of the request, so a client
 * that could choose it could file its requests under someone else's trace or make
 * unrelated requests look like one (correlation spoofing). A client's valid `traceparent`
 * is kept as a span link only (OpenTelemetry: related, not the parent), so its own
 * tracing can still find the request, and its sampled flag decides nothing here.
 */
export function startEdgeSpan(
  name: string,
  clientTraceparent: unknown,
  attributes?: Attributes,
): ServerSpan {
  const client =
    typeof clientTraceparent === 'string'
      ? trace.getSpanContext(
          w3c.extract(ROOT_CONTEXT, { traceparent: clientTraceparent }, defaultTextMapGetter),
        )
      : undefined;
  const links: Link[] = client ? [{ context: client }] : [];
  const span = currentTracer().startSpan(
    name,
    { kind: SpanKind.SERVER, attributes, links, root: true },
    ROOT_CONTEXT,
  );
  return new ServerSpan(span);
}

/** `00-<trace-id>-<span-id>-<flags>`: the span as the parent of the next hop. */
export function traceparentOf(spanContext: SpanContext): string {
  const flags = spanContext.traceFlags & 0xff;
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags < 16 ? '0' : ''}${flags.toString(16)}`;
}

/** The fields a log line about this request carries: `trace_id` and `span_id`. */
export function traceFields(trace: Pick<TraceContext, 'traceId' | 'spanId'>): {
  trace_id: string;
  span_id: string;
} {
  return { trace_id: trace.traceId, span_id: trace.spanId };
}
