import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type * as grpc from '@grpc/grpc-js';
import { setCallContext } from './call-context.js';
import { checkCallerAllowed } from './caller-policy.js';
import { EAST_WEST_POLICY, type EastWestPolicy } from './east-west.policy.js';
import { callerServiceOf, methodOf } from './peer-identity.js';
import { permissionDenied, unauthenticated } from './rpc-errors.js';
import { nextHopTraceparent } from './rpc-trace.interceptor.js';

export interface DenialEvent {
  /** The service that refused the call. */
  callee: string;
  caller: string | undefined;
  method: string;
  reason: string;
  /** The user the call acted for, when its JWT verified (permission denials). */
  actor?: string;
  /** The trace id from the caller's `traceparent`, so the denial joins its trace. */
  traceId?: string;
}

/**
 * The call's trace id: its server span's (which continues the caller's `traceparent`, or
 * starts a trace when there was none), else the one in its `traceparent` metadata.
 */
export function traceIdOf(call: { metadata?: grpc.Metadata }): string | undefined {
  const traceparent = nextHopTraceparent(call.metadata);
  return traceparent ? /^00-([0-9a-f]{32})-/.exec(traceparent)?.[1] : undefined;
}

/**
 * Attack points 2 and 3: the caller's identity comes from its certificate, never from
 * anything it says, and must be allowed by the east-west policy for this method.
 * A thin adapter over {@link checkCallerAllowed}; register it first, before the JWT guard.
 */
export class EastWestGuard implements CanActivate {
  constructor(
    private readonly service: string,
    private readonly onDenied: (event: DenialEvent) => void = () => {},
    private readonly policy: EastWestPolicy = EAST_WEST_POLICY,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const call = ctx.getArgByIndex(2) as grpc.ServerUnaryCall<unknown, unknown>;
    const method = methodOf(call);
    const caller = callerServiceOf(call);
    if (!caller) {
      this.onDenied({
        callee: this.service,
        caller,
        method,
        reason: 'no-workload-identity',
        traceId: traceIdOf(call),
      });
      throw unauthenticated('caller has no Citadel workload identity');
    }
    const decision = checkCallerAllowed(this.service, caller, method, this.policy);
    if (!decision.allowed) {
      this.onDenied({
        callee: this.service,
        caller,
        method,
        reason: decision.reason,
        traceId: traceIdOf(call),
      });
      throw permissionDenied(`${caller} may not call ${this.service}.${method}`);
    }
    setCallContext(call, {
      caller,
      // This call's server span (rpc-trace.interceptor.ts) is the next hop's parent.
      traceparent: nextHopTraceparent(call.metadata),
    });
    return true;
  }
}
