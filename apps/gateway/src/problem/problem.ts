import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isServiceError } from '@citadel/transport';

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

/** What downstream gRPC statuses mean at the edge; anything else is our fault (500). */
const HTTP_FOR_GRPC: Partial<Record<GrpcStatus, number>> = {
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  [GrpcStatus.UNAUTHENTICATED]: 401,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.FAILED_PRECONDITION]: 409,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
};

/** Client errors whose downstream message is safe and useful to show. */
const SHOW_DOWNSTREAM_DETAIL = new Set([
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.FAILED_PRECONDITION,
  GrpcStatus.ALREADY_EXISTS,
]);

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
  if (isServiceError(exception)) {
    const status = HTTP_FOR_GRPC[exception.code] ?? 500;
    const detail = SHOW_DOWNSTREAM_DETAIL.has(exception.code) ? exception.details : undefined;
    return problem(status, traceId, detail ? { detail } : {});
  }
  // Fastify's own client errors (body too large, bad JSON, unsupported media type).
  const statusCode = (exception as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return problem(statusCode, traceId, { detail: fastifyDetail(exception as { code?: string }) });
  }
  return problem(500, traceId);
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
