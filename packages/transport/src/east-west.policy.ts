/**
 * The east-west policy: which service may call which, and which methods. This is the
 * one declaration that every gRPC server enforces (attack point 3 of seed 004), and the
 * source any network-level policy (Kubernetes NetworkPolicies) must mirror. It is data:
 * review it like code.
 *
 * `'*'` allows every method of the callee; a list allows only those methods.
 * Anything not listed is denied.
 */
export const EAST_WEST_POLICY: EastWestPolicy = {
  auth: {
    gateway: '*',
    // Services verify internal JWTs locally; they only ever fetch the public keys.
    order: ['GetJwks'],
    payment: ['GetJwks'],
    // The operator's audit verifier (`npm run audit:verify`) reads the chain and nothing else.
    auditor: ['VerifyAudit'],
  },
  order: {
    gateway: '*',
    auditor: ['VerifyAudit'],
  },
  payment: {
    // Seed 004: payment accepts calls from order and from a refund service only.
    order: '*',
    refund: '*',
    auditor: ['VerifyAudit'],
  },
};

export type MethodGrant = '*' | readonly string[];
/** callee → caller → methods the caller may invoke. */
export type EastWestPolicy = Readonly<Record<string, Readonly<Record<string, MethodGrant>>>>;
