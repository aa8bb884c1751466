import { propagation, ROOT_CONTEXT, trace, type TextMapGetter } from '@opentelemetry/api';

/**
 * The trace id of the request being served: that of the active span (the gateway's
 * HTTP server span, a service's gRPC server span, set by the instrumentations and carried
 * by the AsyncLocalStorage context), for audit records and error bodies. Undefined outside
 * a request.
 */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** `{ trace_id, span_id }` of the active span, or `{}` outside a request: what a log line carries. */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** A gRPC call's metadata, as the propagator reads it (grpc-js `Metadata`). */
export interface MetadataCarrier {
  get(key: string): unknown[];
  getMap(): Record<string, unknown>;
}

const metadataGetter: TextMapGetter<MetadataCarrier> = {
  get: (metadata, key) => metadata.get(key).map(String),
  keys: (metadata) => Object.keys(metadata.getMap()),
};

/**
 * The trace a served call belongs to: the active span's (the server span OpenTelemetry's
 * grpc-js instrumentation starts around the handler, continuing the caller's
 * `traceparent`), else, before or without a handler (a call the east-west policy refused,
 * one past its deadline), the caller's own context read from the call's metadata by the
 * global propagator. Inside the mesh every caller is an mTLS-authenticated Citadel
 * service, whose trace is continued.
 */
export function traceOfCall(
  metadata: MetadataCarrier | undefined,
): { traceId: string; spanId: string | undefined } | undefined {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && trace.isSpanContextValid(active))
    return { traceId: active.traceId, spanId: active.spanId };
  if (!metadata) return undefined;
  const caller = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, metadata, metadataGetter));
  return caller && trace.isSpanContextValid(caller)
    ? { traceId: caller.traceId, spanId: undefined }
    : undefined;
}
