import type { FastifyInstance, FastifyRequest } from 'fastify';
import { startServerSpan, type Logger, type ServerSpan } from '@citadel/observability';

const spans = new WeakMap<object, ServerSpan>();

/**
 * The request's server span, continued from its `traceparent` header or started here:
 * `traceId` goes to `x-trace-id` and error bodies, `traceparent` to the gRPC calls it makes.
 */
export function traceOf(request: FastifyRequest): ServerSpan {
  const raw = request.raw ?? request;
  let span = spans.get(raw);
  if (!span) {
    span = startServerSpan(
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
 * One server span per HTTP request, active while it is handled (so every log line
 * written for it carries its trace id), and one access log line once it is answered.
 * Entered once, in `onRequest`: Fastify runs the body parser in the request's async
 * context too (an AsyncResource), so the span is still active in the handler.
 */
export function traceRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const span = traceOf(request);
    void reply.header('x-trace-id', span.traceId);
    span.run(done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = traceOf(request);
    const status = reply.statusCode;
    span.end({ 'http.response.status_code': status }, status >= 500 ? String(status) : undefined);
    logger.info(
      {
        event: 'http.request',
        trace_id: span.traceId,
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
