import {
  BadRequestException,
  UnsupportedMediaTypeException,
  type HttpException,
} from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Deeper than any request body of the API (orders are 3 levels); more is an attack. */
export const MAX_JSON_DEPTH = 32;

/**
 * Headers that must appear at most once: two `Host`s or two `Authorization`s are read one
 * way here and another way by a proxy in front (RFC 9112 §3.2, RFC 9110 §5.3).
 */
const SINGLE_HEADERS = new Set(['host', 'authorization', 'content-type', 'idempotency-key']);

/**
 * The shape of a request, checked before routing and before any body reaches a DTO:
 * JSON only, in UTF-8, nested at most MAX_JSON_DEPTH deep (class-transformer recurses and
 * would overflow the stack on a deeper one), no repeated singleton header, HTTP/1.x with
 * a Host, and no query parameter a route does not declare (see ROUTES_WITH_QUERY).
 */
export function enforceStrictRequests(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const refusal = jsonRefusal(request.headers['content-type'], body as string);
    if (refusal) return done(refusal, undefined);
    parseJson(request, body as string, done);
  });
  // Callback-style hooks: these checks are synchronous, and an async hook costs a promise
  // and a microtask on every request.
  fastify.addHook('onRequest', (request, _reply, done) => {
    done(requestShapeRefusal(request));
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    if (request.is404 || ROUTES_WITH_QUERY.has(request.routeOptions.url ?? '')) return done();
    done(queryRefusal(request.query));
  });
}

export function jsonRefusal(
  contentType: string | undefined,
  body: string,
): HttpException | undefined {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  // RFC 8259 §8.1: JSON between systems is UTF-8; a body declared otherwise would be read
  // as something its sender (or a filter in front) did not mean.
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return new UnsupportedMediaTypeException({ message: 'JSON bodies must be UTF-8' });
  }
  if (nestingDepth(body) > MAX_JSON_DEPTH) {
    return new BadRequestException({
      message: `request body nests deeper than ${MAX_JSON_DEPTH} levels`,
    });
  }
  return undefined;
}

/** How deep arrays and objects nest, by one pass over the text (strings skipped). */
export function nestingDepth(json: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const char = json.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (char === 0x7d || char === 0x5d) depth--;
  }
  return deepest;
}

export function requestShapeRefusal(request: FastifyRequest): HttpException | undefined {
  const { httpVersionMajor, httpVersionMinor, rawHeaders } = request.raw;
  if (httpVersionMajor !== 1) {
    return new BadRequestException({ message: 'only HTTP/1.0 and HTTP/1.1 are served' });
  }
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!SINGLE_HEADERS.has(name)) continue;
    if (seen.has(name)) {
      return new BadRequestException({ message: `the ${name} header appears more than once` });
    }
    seen.add(name);
  }
  if (httpVersionMinor === 1 && !seen.has('host')) {
    return new BadRequestException({ message: 'an HTTP/1.1 request needs a Host header' });
  }
  return undefined;
}

/** Routes that declare a query DTO: the validation pipe refuses unknown fields there. */
const ROUTES_WITH_QUERY = new Set(['/v1/admin/audit']);

export function queryRefusal(query: unknown): HttpException | undefined {
  const names = Object.keys((query as object | null) ?? {});
  if (names.length === 0) return undefined;
  return new BadRequestException({
    message: 'request validation failed',
    errors: names.slice(0, 10).map((name) => ({
      // The name is the caller's text: shown only when it is a plain identifier.
      field: /^[A-Za-z0-9_.-]{1,64}$/.test(name) ? name : '(query parameter)',
      message: 'unknown query parameter',
    })),
  });
}
