import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { HttpException } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@citadel/observability';
import { sendProblem } from './problem.filter.js';
import { toProblem } from './problem.js';
import { ERROR_SECURITY_HEADERS } from './security-headers.js';

/**
 * Requests that Node's HTTP parser refuses before Fastify sees them (oversized headers,
 * request smuggling shapes, CR/LF or NUL in a header, unknown methods, slow clients) would
 * otherwise get Node's or Fastify's own answer, in another shape. Here they get the one
 * error shape, with a fresh trace id and the security headers, and the connection closes:
 * after a parse error the rest of the byte stream cannot be trusted.
 */
export function clientErrorHandler(logger: Logger) {
  return (error: Error & { code?: string }, socket: Duplex): void => {
    // RFC 9110 does not ask for an answer to a reset connection, and none can be written.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, detail } = refusalOf(error.code);
    const traceId = newTraceId();
    logger.debug(
      { event: 'request.refused', trace_id: traceId, code: error.code, status },
      'malformed request refused before routing',
    );
    const response = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !response?.headersSent) {
      socket.write(rawProblemResponse(status, detail, traceId));
    }
    socket.destroy();
  };
}

/**
 * Fastify's router answers a URL that is not validly percent-encoded, or a path segment
 * over `maxParamLength`, in its own JSON shape unless `frameworkErrors` is set: this one.
 */
export function routerErrorHandler(logger: Logger) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void =>
    sendProblem(logger, error, request, reply);
}

/** What each of Node's parser errors means to the client, without echoing its bytes. */
export function refusalOf(code: string | undefined): { status: number; detail: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, detail: 'request headers are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { status: 408, detail: 'request took too long to arrive' };
    case 'HPE_INVALID_METHOD':
      return { status: 400, detail: 'unknown HTTP method' };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_INVALID_CHUNK_SIZE':
      return { status: 400, detail: 'ambiguous or malformed message framing' };
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
    case 'HPE_UNEXPECTED_SPACE':
      return { status: 400, detail: 'malformed header field' };
    default:
      return { status: 400, detail: 'malformed HTTP request' };
  }
}

/**
 * CONNECT asks the gateway to be a tunnel. Node closes such a connection without a word
 * when nothing listens for it; it gets a 405 instead.
 */
export function refuseTunnel(_request: IncomingMessage, socket: Duplex): void {
  if (socket.writable) {
    socket.write(
      rawProblemResponse(405, 'the gateway is not a proxy', newTraceId(), {
        allow: 'GET, POST, PUT, DELETE',
      }),
    );
  }
  socket.destroy();
}

/** An `Expect` other than 100-continue: Node's own 417 has no body; this one has the shape. */
export function refuseExpectation(_request: IncomingMessage, response: ServerResponse): void {
  const problem = toProblem(
    new HttpException({ message: 'only Expect: 100-continue is supported' }, 417),
    newTraceId(),
  );
  const body = JSON.stringify(problem);
  response.writeHead(417, {
    ...ERROR_SECURITY_HEADERS,
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-trace-id': problem.trace_id,
    connection: 'close',
  });
  response.end(body);
}

/** A complete HTTP/1.1 error response as bytes, for a socket no Fastify reply owns. */
export function rawProblemResponse(
  status: number,
  detail: string,
  traceId: string,
  extraHeaders: Record<string, string> = {},
): string {
  const problem = toProblem(new HttpException({ message: detail }, status), traceId);
  const body = JSON.stringify(problem);
  const headers = {
    ...ERROR_SECURITY_HEADERS,
    ...extraHeaders,
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-trace-id': traceId,
    connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return `HTTP/1.1 ${status} ${problem.title}\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

function newTraceId(): string {
  return randomBytes(16).toString('hex');
}
