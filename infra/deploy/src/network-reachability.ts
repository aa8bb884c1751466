import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer } from './network-policies.js';

/** A pod, as NetworkPolicies see it: its namespace and its labels. */
export interface Pod {
  namespace: string;
  labels: Readonly<Record<string, string>>;
}

/** Traffic from outside the cluster (the gateway's clients). */
export const OUTSIDE = 'outside' as const;

function matches(selector: LabelSelector & { matchExpressions?: unknown }, labels: Pod['labels']) {
  // The renderer writes matchLabels only; anything else would be evaluated wrongly here.
  if (selector.matchExpressions) throw new Error('matchExpressions are not evaluated');
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

function peerMatches(peer: NetworkPolicyPeer & { ipBlock?: unknown }, policyNs: string, pod: Pod) {
  if (peer.ipBlock) throw new Error('ipBlock peers are not evaluated');
  const namespaceOk = peer.namespaceSelector
    ? matches(peer.namespaceSelector, { 'kubernetes.io/metadata.name': pod.namespace })
    : pod.namespace === policyNs;
  return namespaceOk && (!peer.podSelector || matches(peer.podSelector, pod.labels));
}

const portMatches = (
  ports: { protocol?: string; port?: number | string }[] | undefined,
  port: number,
  protocol: string,
) => !ports?.length || ports.some((p) => (p.protocol ?? 'TCP') === protocol && p.port === port);

function selecting(policies: NetworkPolicy[], pod: Pod, type: 'Ingress' | 'Egress') {
  return policies.filter(
    (policy) =>
      policy.metadata.namespace === pod.namespace &&
      policy.spec.policyTypes.includes(type) &&
      matches(policy.spec.podSelector, pod.labels),
  );
}

/**
 * Whether Kubernetes lets `from` open a connection to `to` on `port` under `policies`
 * (networking.k8s.io/v1 semantics: a pod selected by no policy of a direction is open in
 * that direction; a selected pod accepts only what some rule allows; both ends must agree).
 */
export function isTrafficAllowed(
  policies: NetworkPolicy[],
  from: Pod | typeof OUTSIDE,
  to: Pod,
  port: number,
  protocol: 'TCP' | 'UDP' = 'TCP',
): boolean {
  const egressPolicies = from === OUTSIDE ? [] : selecting(policies, from, 'Egress');
  const egressOk =
    from === OUTSIDE ||
    egressPolicies.length === 0 ||
    egressPolicies.some((policy) =>
      (policy.spec.egress ?? []).some(
        (rule) =>
          portMatches(rule.ports, port, protocol) &&
          (!rule.to?.length ||
            rule.to.some((peer) => peerMatches(peer, policy.metadata.namespace, to))),
      ),
    );
  const ingressPolicies = selecting(policies, to, 'Ingress');
  const ingressOk =
    ingressPolicies.length === 0 ||
    ingressPolicies.some((policy) =>
      (policy.spec.ingress ?? []).some(
        (rule) =>
          portMatches(rule.ports, port, protocol) &&
          (!rule.from?.length ||
            (from !== OUTSIDE &&
              rule.from.some((peer) => peerMatches(peer, policy.metadata.namespace, from)))),
      ),
    );
  return egressOk && ingressOk;
}
