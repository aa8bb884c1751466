import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type * as grpc from '@grpc/grpc-js';
import { setCallContext } from './call-context.js';
import { checkCallerAllowed } from './caller-policy.js';
import { EAST_WEST_POLICY, type EastWestPolicy } from './east-west.policy.js';
import { callerServiceOf, methodOf } from './peer-identity.js';
import { permissionDenied, unauthenticated } from './rpc-errors.js';

export interface DenialEvent {
  /** The service that refused the call. */
  callee: string;
  caller: string | undefined;
  method: string;
  reason: string;
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
      this.onDenied({ callee: this.service, caller, method, reason: 'no-workload-identity' });
      throw unauthenticated('caller has no Citadel workload identity');
    }
    const decision = checkCallerAllowed(this.service, caller, method, this.policy);
    if (!decision.allowed) {
      this.onDenied({ callee: this.service, caller, method, reason: decision.reason });
      throw permissionDenied(`${caller} may not call ${this.service}.${method}`);
    }
    const traceparent = call.metadata?.get('traceparent')[0];
    setCallContext(call, {
      caller,
      traceparent: typeof traceparent === 'string' ? traceparent : undefined,
    });
    return true;
  }
}
