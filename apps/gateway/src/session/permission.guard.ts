import {
  applyDecorators,
  ForbiddenException,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { can, type Permission } from '@citadel/auth';
import type { FastifyRequest } from 'fastify';
import { EdgeAudit } from '../edge/edge-audit.js';
import { BearerAuthGuard } from './bearer-auth.guard.js';
import { httpRequestOf } from './http-context.js';
import type { Principal } from './principal.js';

/** Where `@Authenticated(...)` leaves a route's permissions (the OpenAPI document reads them too). */
export const ROUTE_PERMISSIONS = 'citadel:gateway-permissions';

/**
 * The gateway's coarse RBAC check, from the shared table: a route names the permissions
 * of which the caller's role needs at least one. The owning service checks again, with
 * ownership (defence in depth: the gateway is not trusted to be the only check).
 */
@Injectable()
export class PermissionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly edgeAudit: EdgeAudit,
  ) {}

  /** Each route's permissions, read once: decorator metadata does not change at runtime. */
  private readonly neededBy = new WeakMap<object, readonly Permission[]>();

  canActivate(ctx: ExecutionContext): boolean {
    const handler = ctx.getHandler();
    let needed = this.neededBy.get(handler);
    if (!needed) {
      needed = this.reflector.get<Permission[] | undefined>(ROUTE_PERMISSIONS, handler) ?? [];
      this.neededBy.set(handler, needed);
    }
    const request = httpRequestOf<FastifyRequest & { user?: Principal }>(ctx);
    const principal = request.user;
    if (!principal) return false;
    // An API key holds exactly its scopes within its owner's role. One with no scopes (an
    // old row, a direct write: creation refuses it) holds nothing, not even the routes any
    // signed-in caller may use, and never falls back to the owner's whole role.
    const scopelessKey = principal.apiKeyId !== undefined && !principal.scopes?.length;
    if (
      scopelessKey ||
      (needed.length > 0 && !needed.some((permission) => can(principal, permission)))
    ) {
      this.edgeAudit.record(
        request,
        'http.forbidden',
        `${holderOf(principal)} lacks ${needed.join(' or ') || 'any scope'}`,
        {
          actor: principal.id,
        },
      );
      throw new ForbiddenException();
    }
    return true;
  }
}

/** Who was refused, for the audit record. */
function holderOf(principal: Principal): string {
  return principal.apiKeyId
    ? `API key ${principal.apiKeyId} scoped to [${principal.scopes?.join(' ') ?? ''}]`
    : `role ${principal.role}`;
}

/** A route for signed-in callers whose role grants one of `permissions` (none: any role). */
export const Authenticated = (...permissions: Permission[]) =>
  applyDecorators(
    SetMetadata(ROUTE_PERMISSIONS, permissions),
    UseGuards(BearerAuthGuard, PermissionGuard),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      description: 'Missing, invalid, expired or revoked token (problem+json)',
    }),
    ApiForbiddenResponse({ description: 'The role does not grant this action (problem+json)' }),
  );
