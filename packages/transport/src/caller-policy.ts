import { EAST_WEST_POLICY, type EastWestPolicy } from './east-west.policy.js';

export type CallerDecision =
  | { allowed: true }
  | { allowed: false; reason: 'unknown-callee' | 'caller-not-allowed' | 'method-not-allowed' };

/** Whether `caller` may invoke `method` on `callee` under the declared east-west policy. */
export function checkCallerAllowed(
  callee: string,
  caller: string,
  method: string,
  policy: EastWestPolicy = EAST_WEST_POLICY,
): CallerDecision {
  const callers = policy[callee];
  if (!callers) return { allowed: false, reason: 'unknown-callee' };
  if (!Object.hasOwn(callers, caller)) return { allowed: false, reason: 'caller-not-allowed' };
  const grant = callers[caller]!;
  if (grant === '*' || grant.includes(method)) return { allowed: true };
  return { allowed: false, reason: 'method-not-allowed' };
}

/**
 * The audiences a user JWT minted for `service` must carry: the service itself and every
 * service it may call on the user's behalf (a full `'*'` grant), transitively. A JWT for
 * order is thus also good at payment, and only there, and payment still checks that the
 * certificate presenting it is order's.
 */
export function delegationAudiences(
  service: string,
  policy: EastWestPolicy = EAST_WEST_POLICY,
): string[] {
  const audiences = [service];
  for (let i = 0; i < audiences.length; i++) {
    const caller = audiences[i]!;
    for (const [callee, callers] of Object.entries(policy)) {
      if (callers[caller] === '*' && !audiences.includes(callee)) audiences.push(callee);
    }
  }
  return audiences;
}

/** Every caller → callee edge, for rendering network policies. */
export function policyEdges(
  policy: EastWestPolicy = EAST_WEST_POLICY,
): { caller: string; callee: string }[] {
  return Object.entries(policy).flatMap(([callee, callers]) =>
    Object.keys(callers).map((caller) => ({ caller, callee })),
  );
}
