import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@citadel/observability';
import { requestTraceId } from '../trace.js';
import { toProblem } from './problem.js';
import { ERROR_SECURITY_HEADERS } from './security-headers.js';

/** Every error leaves the gateway as `application/problem+json`, never a stack trace. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(
      this.logger,
      exception,
      http.getRequest<FastifyRequest>(),
      http.getResponse<FastifyReply>(),
    );
  }
}

export function sendProblem(
  logger: Logger,
  exception: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const traceId = requestTraceId();
  const body = toProblem(exception, traceId);
  if (body.status >= 500) {
    logger.error({ event: 'request.failed', trace_id: traceId, err: exception }, 'request failed');
  }
  // RFC 6750 §3: a 401 names the scheme the client should use.
  if (body.status === 401) void reply.header('www-authenticate', 'Bearer realm="citadel"');
  // RFC 9110 §10.2.3: a 429 says when to come back.
  const retryAfter = retryAfterOf(exception);
  // RFC 9110 §10.2.3: a 429 or a 503 may say when to come back.
  if ((body.status === 429 || body.status === 503) && retryAfter) {
    void reply.header('retry-after', String(retryAfter));
  }
  // An error raised before helmet's hook ran (a router refusal, an early hook) has no
  // security headers yet.
  for (const [name, value] of Object.entries(ERROR_SECURITY_HEADERS)) {
    if (!reply.hasHeader(name) && !reply.raw.hasHeader(name)) void reply.header(name, value);
  }
  void reply.status(body.status).header('content-type', 'application/problem+json').send(body);
}

function retryAfterOf(exception: unknown): number | undefined {
  const response = (exception as { getResponse?: () => unknown }).getResponse?.();
  const seconds = (response as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  return typeof seconds === 'number' ? seconds : undefined;
}
