import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { activeTraceId, type Logger } from '@citadel/observability';

/**
 * The trace id of the request being served: the edge's own. OpenTelemetry's http
 * instrumentation starts the request's server span, the root of a new trace: the gateway's
 * propagator never continues a client's `traceparent` (it is only a link on that span, see
 * @citadel/observability's `EdgePropagator`), so clients do not choose the trace id the
 * request's logs and audit records are filed under. It goes to `x-trace-id`, error bodies
 * and audit records; every gRPC call the request makes carries the trace by itself.
 */
export function requestTraceId(): string {
  // Outside a request's context (nothing traced it) a fresh id still names the answer.
  return activeTraceId() ?? randomBytes(16).toString('hex');
}

/**
 * Names each request's trace in its answer (`x-trace-id`, set first so a refusal carries
 * it too) and writes one access line once it is answered, in the request's context: the
 * logger adds its `trace_id` and `span_id`.
 */
export function traceRequests(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-trace-id', requestTraceId());
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logger.info(
      {
        event: 'http.request',
        method: request.method,
        route: request.routeOptions?.url,
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 1000) / 1000,
      },
      'request handled',
    );
    done();
  });
}
