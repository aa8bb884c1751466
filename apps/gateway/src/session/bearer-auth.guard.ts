import { Injectable, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EdgeAudit } from '../edge/edge-audit.js';
import { RateLimits } from '../edge/rate-limits.js';
import { EXCHANGE_REFUSED, NO_CREDENTIAL } from './bearer.strategy.js';
import { httpReplyOf, httpRequestOf } from './http-context.js';

/**
 * Passport's bearer guard, plus what a failed authentication costs the caller: one more
 * request charged to its address's anonymous rate-limit budget (counted by `clientBucket`,
 * as every per-address limit is), and, unless auth already has it on record (a refused
 * exchange), an edge denial on record.
 */
@Injectable()
export class BearerAuthGuard extends AuthGuard('bearer') {
  constructor(
    private readonly edgeAudit: EdgeAudit,
    private readonly limits: RateLimits,
  ) {
    super();
  }

  override getRequest(context: ExecutionContext): FastifyRequest {
    return httpRequestOf(context);
  }

  // Overrides the guard's untyped `getResponse` (the mixin's type declares only getRequest).
  getResponse(context: ExecutionContext): FastifyReply {
    return httpReplyOf(context);
  }

  override handleRequest<TUser>(
    error: unknown,
    user: TUser | false,
    info: unknown,
    context: ExecutionContext,
  ): TUser {
    if (user && !error) return user;
    const request = httpRequestOf(context);
    void this.limits.chargeFailedAuthentication(request.ip);
    const reason =
      error instanceof Error ? error.message : typeof info === 'string' ? info : NO_CREDENTIAL;
    if (reason !== EXCHANGE_REFUSED) this.edgeAudit.record(request, 'http.unauthenticated', reason);
    throw new UnauthorizedException();
  }
}
