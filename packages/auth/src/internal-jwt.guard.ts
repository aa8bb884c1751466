import { SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type * as grpc from '@grpc/grpc-js';
import {
  callContextOf,
  methodOf,
  permissionDenied,
  unauthenticated,
  traceIdOf,
  type CallContext,
  type DenialEvent,
} from '@citadel/transport';
import type { InternalClaims } from './internal-jwt.js';
import type { InternalJwtVerifier } from './internal-jwt-verifier.js';
import { can, type Permission } from './rbac.js';

const PUBLIC_METHOD = 'citadel:public-method';
const REQUIRED_PERMISSION = 'citadel:required-permission';
const SERVICE_CALLERS = 'citadel:service-callers';

/** Marks a handler that needs no user JWT (the caller certificate is still checked). */
export const PublicMethod = () => SetMetadata(PUBLIC_METHOD, true);

/**
 * Lets these identities call the handler without acting for a user (e.g. the
 * operators' `auditor`, `OPERATOR_POLICY`). The east-west policy must still allow the caller the method;
 * every other caller still needs a user JWT with the handler's permission.
 */
export const AllowServiceCaller = (...services: string[]) => SetMetadata(SERVICE_CALLERS, services);

/** The permission (from the RBAC table) a handler requires of the user. */
export const RequirePermission = (permission: Permission) =>
  SetMetadata(REQUIRED_PERMISSION, permission);

/**
 * Attack point 1 at every hop: a user JWT addressed to this service must accompany every
 * call that is not public, and the handler's permission must be granted by its role.
 * Runs once the east-west policy (`enforceEastWestPolicy`, a server interceptor in front of
 * every method) let the call through and established the calling service.
 */
export class InternalJwtGuard implements CanActivate {
  /** What each handler declares, read once: decorator metadata does not change at runtime. */
  private readonly rules = new WeakMap<
    object,
    { isPublic: boolean; permission?: Permission; serviceCallers: readonly string[] }
  >();

  constructor(
    private readonly verifier: InternalJwtVerifier,
    private readonly reflector: Reflector,
    private readonly onDenied: (event: DenialEvent) => void = () => {},
  ) {}

  private rulesOf(handler: ReturnType<ExecutionContext['getHandler']>) {
    let rules = this.rules.get(handler);
    if (!rules) {
      rules = {
        isPublic: this.reflector.get<boolean>(PUBLIC_METHOD, handler) === true,
        permission: this.reflector.get<Permission | undefined>(REQUIRED_PERMISSION, handler),
        serviceCallers: this.reflector.get<string[] | undefined>(SERVICE_CALLERS, handler) ?? [],
      };
      this.rules.set(handler, rules);
    }
    return rules;
  }

  /**
   * Synchronous when the token verified before (the hot path): Nest awaits only what is
   * not a boolean, so a cached token costs no promise. A token seen for the first time
   * is verified asynchronously (its key may have to be fetched).
   */
  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    const metadata = ctx.getArgByIndex(1) as grpc.Metadata;
    const call = ctx.getArgByIndex(2) as grpc.ServerUnaryCall<unknown, unknown>;
    const context = callContextOf(call);
    if (!context) throw unauthenticated('caller identity was not established');
    const { isPublic, permission, serviceCallers } = this.rulesOf(ctx.getHandler());
    if (isPublic || serviceCallers.includes(context.caller)) return true;

    const header = metadata.get('authorization')[0];
    const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!token) {
      this.deny(call, context, 'no-user-jwt');
      throw unauthenticated('user token required');
    }
    const claims = this.verifier.cached(token);
    if (claims) return this.authorize(call, context, token, claims, permission);
    return this.verifier.verify(token).then(
      (verified) => this.authorize(call, context, token, verified, permission),
      (error: unknown) => {
        this.deny(
          call,
          context,
          `invalid-user-jwt: ${error instanceof Error ? error.message : 'unknown'}`,
        );
        throw unauthenticated('invalid user token');
      },
    );
  }

  /** The call acts for the token's user, if the handler's permission is theirs. */
  private authorize(
    call: grpc.ServerUnaryCall<unknown, unknown>,
    context: CallContext,
    token: string,
    claims: InternalClaims,
    permission: Permission | undefined,
  ): true {
    context.user = {
      id: claims.sub,
      role: claims.role,
      email: claims.email,
      ...(claims.scopes ? { scopes: claims.scopes } : {}),
    };
    context.jwt = token;

    if (permission && !can(context.user, permission)) {
      this.deny(
        call,
        context,
        claims.scopes
          ? `credential scoped to [${claims.scopes.join(' ')}] lacks ${permission}`
          : `role ${claims.role} lacks ${permission}`,
        claims.sub,
      );
      throw permissionDenied();
    }
    return true;
  }

  private deny(
    call: grpc.ServerUnaryCall<unknown, unknown>,
    context: CallContext,
    reason: string,
    actor?: string,
  ): void {
    this.onDenied({
      callee: this.verifier.audience,
      caller: context.caller,
      method: methodOf(call),
      reason,
      actor,
      traceId: traceIdOf(call),
    });
  }
}
