import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { DomainError, GRPC_STATUS_OF, isServiceError } from '@citadel/transport';

/** RFC 9457 problem details, the one error shape of the Citadel API. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** Validation failures, each naming the offending field. */
  errors?: { field: string; message: string }[];
  trace_id: string;
}

/**
 * What a gRPC status means at the edge: the HTTP status (whose reason phrase is the
 * problem's title), and whether the service's message is shown as the detail. Only client
 * errors about the request itself show it: a security refusal (401, 403), a not-found
 * (existence is not leaked) and anything on our side say nothing beyond their title.
 * A status missing here is our fault: 500.
 */
export const EDGE_ANSWER: Readonly<
  Partial<Record<GrpcStatus, { status: number; showDetail: boolean }>>
> = {
  [GrpcStatus.INVALID_ARGUMENT]: { status: 400, showDetail: true },
  [GrpcStatus.OUT_OF_RANGE]: { status: 400, showDetail: false },
  [GrpcStatus.UNAUTHENTICATED]: { status: 401, showDetail: false },
  [GrpcStatus.PERMISSION_DENIED]: { status: 403, showDetail: false },
  [GrpcStatus.NOT_FOUND]: { status: 404, showDetail: false },
  [GrpcStatus.ALREADY_EXISTS]: { status: 409, showDetail: true },
  [GrpcStatus.FAILED_PRECONDITION]: { status: 409, showDetail: true },
  [GrpcStatus.ABORTED]: { status: 409, showDetail: false },
  [GrpcStatus.RESOURCE_EXHAUSTED]: { status: 429, showDetail: false },
  [GrpcStatus.UNAVAILABLE]: { status: 503, showDetail: false },
  [GrpcStatus.DEADLINE_EXCEEDED]: { status: 504, showDetail: false },
};

export function problemType(status: number): string {
  const slug = (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return `https://citadel.local/problems/${slug}`;
}

function problem(status: number, traceId: string, extra: Partial<Problem> = {}): Problem {
  return {
    type: problemType(status),
    title: STATUS_CODES[status] ?? 'Error',
    status,
    ...extra,
    trace_id: traceId,
  };
}

/**
 * Any thrown value → a problem. Only 4xx carry a detail, and only one we wrote; a 5xx
 * says nothing about why (the log does, under the same trace id).
 */
export function toProblem(exception: unknown, traceId: string): Problem {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status >= 500) return problem(status, traceId);
    const body = exception.getResponse();
    const errors =
      typeof body === 'object' && body && 'errors' in body
        ? (body.errors as Problem['errors'])
        : undefined;
    const message =
      typeof body === 'object' && body && 'message' in body ? body.message : undefined;
    const detail =
      typeof message === 'string' && message !== STATUS_CODES[status]
        ? withoutEcho(status, message)
        : undefined;
    return problem(status, traceId, {
      ...(detail ? { detail } : {}),
      ...(errors ? { errors } : {}),
    });
  }
  if (isServiceError(exception)) return fromStatus(exception.code, exception.details, traceId);
  // The gateway's own use cases fail as the services' do, through the same two tables.
  if (exception instanceof DomainError) {
    return fromStatus(GRPC_STATUS_OF[exception.kind], exception.publicMessage, traceId);
  }
  // Fastify's own client errors (body too large, bad JSON, unsupported media type).
  const statusCode = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return problem(statusCode, traceId, { detail: fastifyDetail(exception as { code?: string }) });
  }
  return problem(500, traceId);
}

/** A gRPC status and its message → the problem `EDGE_ANSWER` says it is. */
function fromStatus(code: GrpcStatus, message: string, traceId: string): Problem {
  const answer = EDGE_ANSWER[code] ?? { status: 500, showDetail: false };
  const detail = answer.showDetail && message ? message : undefined;
  return problem(answer.status, traceId, detail ? { detail } : {});
}

/**
 * Nest's route miss says `Cannot GET /the/path`: the caller's own bytes (traversal,
 * injection, markup) sent back to it. A detail never echoes the request.
 */
function withoutEcho(status: number, message: string): string {
  return status === 404 && /^Cannot \S+ /.test(message) ? 'no such route' : message;
}

function fastifyDetail(error: { code?: string }): string | undefined {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return 'the URL is not validly percent-encoded';
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'a path segment is too long';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type; send application/json';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty';
    default:
      return 'malformed request';
  }
}
