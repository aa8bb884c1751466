import type { FastifyInstance, FastifyRequest } from 'fastify';
import { startEdgeSpan, traceFields, type Logger, type ServerSpan } from '@citadel/observability';

const spans = new WeakMap<object, ServerSpan>();

/**
 * The request's server span, the root of a trace started here: `traceId` goes to
 * `x-trace-id`, error bodies, logs and audit records, `traceparent` to the gRPC calls it
 * makes. A client's `traceparent` is only a link on it: clients do not choose the trace id
 * our records are filed under.
 */
export function traceOf(request: FastifyRequest): ServerSpan {
  const raw = request.raw ?? request;
  let span = spans.get(raw);
  if (!span) {
    span = startEdgeSpan(
      `${request.method} ${request.routeOptions?.url ?? ''}`,
      request.headers?.traceparent,
      {
        'http.request.method': request.method,
        'http.route': request.routeOptions?.url ?? '',
      },
    );
    spans.set(raw, span);
  }
  return span;
}

/**
 * One server span per HTTP request, started in `onRequest` and kept with the request
 * (`traceOf`): what the request does downstream names it explicitly, and one access log
 * line carries its ids once it is answered.
 */
export function traceRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const span = traceOf(request);
    void reply.header('x-trace-id', span.traceId);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = traceOf(request);
    const status = reply.statusCode;
    span.end({ 'http.response.status_code': status }, status >= 500 ? String(status) : undefined);
    logger.info(
      {
        event: 'http.request',
        ...traceFields(span),
        method: request.method,
        route: request.routeOptions?.url,
        status,
        duration_ms: Math.round(reply.elapsedTime * 1000) / 1000,
      },
      'request handled',
    );
    done();
  });
}
