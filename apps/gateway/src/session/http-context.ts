import type { ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

// A route's execution context holds `[request, reply, next]`. `switchToHttp()` would build
// a new object with three closures on every call (~0.26 KB per call, twice per request in
// Passport's guard alone) to hand out the same two.

/** The HTTP request a gateway route's guard or parameter decorator is looking at. */
export const httpRequestOf = <T = FastifyRequest>(ctx: ExecutionContext): T =>
  ctx.getArgByIndex<T>(0);

/** Its reply. */
export const httpReplyOf = (ctx: ExecutionContext): FastifyReply =>
  ctx.getArgByIndex<FastifyReply>(1);
