import * as grpc from '@grpc/grpc-js';
import { contractOf } from '@citadel/contracts';
import { traceOfCall } from '@citadel/observability';
import { setCallContext } from './call-context.js';
import { checkCallerAllowed, POLICY, type Policy } from './caller-policy.js';
import { callerOfCall } from './peer-identity.js';

export interface DenialEvent {
  /** The service that refused the call. */
  callee: string;
  caller: string | undefined;
  /**
   * The method refused: `Charge` for one of the callee's own contract, else its full name
   * (`grpc.health.v1.Health/Check`), so the audit target `<callee>.<method>` is unambiguous.
   */
  method: string;
  reason: string;
  /** The user the call acted for, when its JWT verified (permission denials). */
  actor?: string;
  /** The call's trace id (the caller's, continued), so the denial joins its trace. */
  traceId?: string;
}

/**
 * The call's trace id: its server span's when its handler runs (a guard's denial), else
 * the caller's, from its metadata (a refusal by the policy, before any handler).
 */
export function traceIdOf(call: { metadata?: grpc.Metadata }): string | undefined {
  return traceOfCall(call.metadata)?.traceId;
}

/**
 * Attack points 2 and 3, for every call a server answers: the caller's identity comes
 * from its verified certificate, never from anything it says, and the east-west policy
 * must grant it the method called (its full path). A grpc-js server interceptor, not a
 * Nest guard, so it also stands in front of what Nest never routes (the gRPC health
 * service): a refused call ends with PERMISSION_DENIED (UNAUTHENTICATED without a Citadel
 * identity) before its request is even read, and is reported to `onDenied`. An allowed
 * call reaches the guards and the handler with its `CallContext` (the caller), kept with
 * the call's metadata (`callContextOf(call)`).
 */
export function enforceEastWestPolicy(
  service: string,
  onDenied: (event: DenialEvent) => void = () => {},
  policy: Policy = POLICY,
): grpc.ServerInterceptor {
  const contract = contractOf(service);
  const own = `/${contract.package}.${contract.service}/`;
  return (descriptor, call) => {
    const path = descriptor.path;
    const refuse = (metadata: grpc.Metadata, caller: string | undefined, reason: string) => {
      const unknown = caller === undefined;
      // Says little to the caller, and first; the denial event says why.
      call.sendStatus({
        code: unknown ? grpc.status.UNAUTHENTICATED : grpc.status.PERMISSION_DENIED,
        details: unknown
          ? 'caller has no Citadel workload identity'
          : `${caller} may not call ${path.slice(1)}`,
      });
      onDenied({
        callee: service,
        caller,
        method: path.startsWith(own) ? path.slice(own.length) : path.slice(1),
        reason,
        traceId: traceIdOf({ metadata }),
      });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            // Read once per call through the public auth context (see peer-identity.ts).
            const caller = callerOfCall(call, metadata);
            if (caller === undefined) return refuse(metadata, caller, 'no-workload-identity');
            const decision = checkCallerAllowed(service, caller, path.slice(1), policy);
            if (!decision.allowed) return refuse(metadata, caller, decision.reason);
            setCallContext(metadata, { caller });
            // Only now does the handler (Nest's guards, or the health service) see the call.
            nextMetadata(metadata);
          },
        }),
    });
  };
}
