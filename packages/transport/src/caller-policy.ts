import {
  EAST_WEST_POLICY,
  OPERATOR_POLICY,
  SELF_CALLS,
  type EastWestPolicy,
  type OperatorPolicy,
} from './east-west.policy.js';

export type CallerDecision =
  { allowed: true } | { allowed: false; reason: 'caller-not-allowed' | 'method-not-allowed' };

/** Both halves of the policy: workloads and operators. */
export interface Policy {
  services: EastWestPolicy;
  operators: OperatorPolicy;
}

export const POLICY: Policy = { services: EAST_WEST_POLICY, operators: OPERATOR_POLICY };

/**
 * Whether `caller` may invoke `method` on `callee`. `method` is fully qualified, as the
 * gRPC path names it without its leading slash (`citadel.payment.v1.PaymentService/Charge`,
 * `grpc.health.v1.Health/Check`), so a grant never covers a same-named method of another
 * service the same server answers.
 */
export function checkCallerAllowed(
  callee: string,
  caller: string,
  method: string,
  policy: Policy = POLICY,
): CallerDecision {
  const callers = policy.services[callee];
  const grant =
    callers && Object.hasOwn(callers, caller)
      ? callers[caller]!
      : Object.hasOwn(policy.operators, caller)
        ? policy.operators[caller]!
        : undefined;
  if (!grant) return { allowed: false, reason: 'caller-not-allowed' };
  return (grant as readonly string[]).includes(method)
    ? { allowed: true }
    : { allowed: false, reason: 'method-not-allowed' };
}

/**
 * Whether `caller` calls `callee` on users' behalf: it holds a grant there beyond
 * {@link SELF_CALLS} (a JWKS fetch or a health check acts for nobody). The one rule for
 * user JWTs: auth mints one for an audience only to a caller that delegates to it, and
 * {@link delegationAudiences} follows the same edges.
 */
export function delegatesTo(
  caller: string,
  callee: string,
  policy: EastWestPolicy = EAST_WEST_POLICY,
): boolean {
  const callers = policy[callee];
  if (!callers || !Object.hasOwn(callers, caller)) return false;
  return callers[caller]!.some((method) => !SELF_CALLS.includes(method));
}

/**
 * The audiences a user JWT minted for `service` must carry: the service itself and every
 * service it calls on the user's behalf ({@link delegatesTo}), transitively. A JWT for
 * order is thus also good at payment, and only there, and payment still checks that the
 * certificate presenting it is order's. Operators act for no user: they are never here.
 */
export function delegationAudiences(
  service: string,
  policy: EastWestPolicy = EAST_WEST_POLICY,
): string[] {
  const audiences = [service];
  for (let i = 0; i < audiences.length; i++) {
    const caller = audiences[i]!;
    for (const callee of Object.keys(policy)) {
      if (!audiences.includes(callee) && delegatesTo(caller, callee, policy))
        audiences.push(callee);
    }
  }
  return audiences;
}

/** Every workload caller → callee edge, for rendering network policies (operators run in no pod). */
export function policyEdges(
  policy: EastWestPolicy = EAST_WEST_POLICY,
): { caller: string; callee: string }[] {
  return Object.entries(policy).flatMap(([callee, callers]) =>
    Object.keys(callers).map((caller) => ({ caller, callee })),
  );
}
