import {
  defaultTextMapGetter,
  ROOT_CONTEXT,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const w3c = new W3CTraceContextPropagator();

/**
 * The propagator of a process at the edge (the gateway): W3C Trace Context on the way out
 * (every gRPC call it makes carries its span as the parent), nothing on the way in.
 *
 * Every instrumentation reads incoming context through the global propagator (the http
 * instrumentation, @fastify/otel), so this is the one place where a client's `traceparent`
 * is kept from becoming the parent of the request's span. The trace id goes into every log
 * line and audit record of the request: a client that could choose it could file its
 * requests under someone else's trace, or make unrelated requests look like one
 * (correlation spoofing). Each request starts a trace of its own; the client's context
 * becomes a span link ({@link clientContextOf}), related but not the parent.
 */
export class EdgePropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    w3c.inject(context, carrier, setter);
  }

  extract(context: Context): Context {
    return context;
  }

  fields(): string[] {
    return w3c.fields();
  }
}

/**
 * A client's valid W3C `traceparent`, to link to (never to continue); undefined for a
 * missing or malformed one (wrong shape, all-zero ids, not a string). `tracestate` is
 * never read from a client.
 */
export function clientContextOf(traceparent: unknown): SpanContext | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const context = w3c.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter as TextMapGetter);
  return trace.getSpanContext(context);
}
