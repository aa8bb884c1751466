import { SERVICES } from '@citadel/config';
import { EAST_WEST_POLICY, policyEdges, type EastWestPolicy } from '@citadel/transport';
import { stringify } from 'yaml';
import {
  APP_LABEL,
  BOOTSTRAP,
  CLUSTER_DNS,
  DATABASE_CLIENTS,
  EDGE,
  LISTEN_PORTS,
  NAMESPACE,
  POSTGRES,
  REDIS,
  REDIS_CLIENTS,
  VAULT,
  VAULT_CLIENTS,
} from './topology.js';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
}
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
}
export interface NetworkPolicyPort {
  protocol: 'TCP' | 'UDP';
  port: number;
}
export interface IngressRule {
  from?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}
export interface EgressRule {
  to?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}
export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    podSelector: LabelSelector;
    policyTypes: ('Ingress' | 'Egress')[];
    ingress?: IngressRule[];
    egress?: EgressRule[];
  };
}

const tcp = (port: number): NetworkPolicyPort => ({ protocol: 'TCP', port });
const pod = (workload: string): NetworkPolicyPeer => ({
  podSelector: { matchLabels: { [APP_LABEL]: workload } },
});
const inNamespace = (namespace: string, podLabels: Record<string, string>): NetworkPolicyPeer => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
  podSelector: { matchLabels: { ...podLabels } },
});

function portOf(workload: string): number {
  const port = Object.hasOwn(LISTEN_PORTS, workload) ? LISTEN_PORTS[workload] : undefined;
  if (port === undefined) {
    throw new Error(
      `the east-west policy lets callers reach "${workload}", but no port is known for it ` +
        '(add it to LISTEN_PORTS in infra/deploy/src/topology.ts)',
    );
  }
  return port;
}

function networkPolicy(
  name: string,
  podSelector: LabelSelector,
  rules: { ingress?: IngressRule[]; egress?: EgressRule[] },
  // Both types by default: a direction with no rule is then denied, not left open.
  policyTypes: NetworkPolicy['spec']['policyTypes'] = ['Ingress', 'Egress'],
): NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace: NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'citadel' } },
    spec: {
      podSelector,
      policyTypes,
      ...(rules.ingress?.length ? { ingress: rules.ingress } : {}),
      ...(rules.egress?.length ? { egress: rules.egress } : {}),
    },
  };
}

/** One policy per workload: who may reach it, and what it may reach. */
function workloadPolicy(workload: string, policy: EastWestPolicy): NetworkPolicy {
  const edges = policyEdges(policy);
  const ingress: IngressRule[] = [];
  if (workload === EDGE) ingress.push({ ports: [tcp(portOf(EDGE))] });
  for (const { caller } of edges.filter((edge) => edge.callee === workload)) {
    ingress.push({ from: [pod(caller)], ports: [tcp(portOf(workload))] });
  }
  if (workload === POSTGRES) {
    for (const client of DATABASE_CLIENTS) {
      ingress.push({ from: [pod(client)], ports: [tcp(portOf(POSTGRES))] });
    }
  }

  const egress: EgressRule[] = [];
  for (const { callee } of edges.filter((edge) => edge.caller === workload)) {
    egress.push({ to: [pod(callee)], ports: [tcp(portOf(callee))] });
  }
  if (VAULT_CLIENTS.includes(workload)) {
    egress.push({ to: [inNamespace(VAULT.namespace, VAULT.podLabels)], ports: [tcp(VAULT.port)] });
  }
  if (DATABASE_CLIENTS.includes(workload)) {
    egress.push({ to: [pod(POSTGRES)], ports: [tcp(portOf(POSTGRES))] });
  }
  if (REDIS_CLIENTS.includes(workload)) {
    egress.push({ to: [inNamespace(REDIS.namespace, REDIS.podLabels)], ports: [tcp(REDIS.port)] });
  }
  return networkPolicy(workload, { matchLabels: { [APP_LABEL]: workload } }, { ingress, egress });
}

/**
 * The Kubernetes NetworkPolicies of the Citadel namespace, derived from the east-west
 * policy every gRPC server enforces: deny everything, then allow DNS, the gateway's port
 * from anywhere, one rule per allowed caller → callee edge (on the callee's port, at both
 * ends), and each workload's way to Vault, PostgreSQL and (the gateway) Redis. Operator identities
 * (`OPERATOR_POLICY`, e.g. the audit verifier) run a one-shot command in no pod: the
 * network opens nothing for them.
 */
export function renderNetworkPolicies(policy: EastWestPolicy = EAST_WEST_POLICY): NetworkPolicy[] {
  const workloads = new Set<string>([...SERVICES, POSTGRES, BOOTSTRAP]);
  for (const { caller, callee } of policyEdges(policy)) workloads.add(caller).add(callee);
  return [
    networkPolicy('default-deny-all', {}, {}),
    networkPolicy(
      'allow-dns',
      {},
      {
        egress: [
          {
            to: [inNamespace(CLUSTER_DNS.namespace, CLUSTER_DNS.podLabels)],
            ports: [
              { protocol: 'UDP', port: CLUSTER_DNS.port },
              { protocol: 'TCP', port: CLUSTER_DNS.port },
            ],
          },
        ],
      },
      ['Egress'],
    ),
    ...[...workloads].sort().map((workload) => workloadPolicy(workload, policy)),
  ];
}

export const NETWORK_POLICIES_HEADER = [
  '# GENERATED from packages/transport/src/east-west.policy.ts and infra/deploy/src/topology.ts',
  '# by `npm run render:k8s --workspace @citadel/deploy`. Do not edit: change the policy and',
  '# render again. infra/deploy checks that this file and the enforced policy agree.',
].join('\n');

/** The NetworkPolicies as one multi-document YAML file, formatted as Prettier formats it. */
export function networkPoliciesYaml(policies = renderNetworkPolicies()): string {
  const documents = policies.map((policy) => stringify(policy, { lineWidth: 0 }));
  return `${NETWORK_POLICIES_HEADER}\n${documents.join('---\n')}`;
}
