import type { FastifyRequest } from 'fastify';
import { continueTrace, type TraceContext } from '@citadel/observability';

const traces = new WeakMap<object, TraceContext>();

/** The request's trace context, continued from its `traceparent` header or started here. */
export function traceOf(request: FastifyRequest): TraceContext {
  const raw = request.raw ?? request;
  let trace = traces.get(raw);
  if (!trace) {
    trace = continueTrace(request.headers?.traceparent);
    traces.set(raw, trace);
  }
  return trace;
}
