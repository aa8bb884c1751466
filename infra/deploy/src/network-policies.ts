import fs from 'node:fs';
import path from 'node:path';
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
    // Vault's database secrets engine sets each service's password (static roles, rotated).
    ingress.push({
      from: [inNamespace(VAULT.namespace, VAULT.podLabels)],
      ports: [tcp(portOf(POSTGRES))],
    });
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
  '# render again. infra/deploy checks that this folder and the enforced policy agree.',
].join('\n');

/** The kustomize component's own file, which lists the policies' files. */
export const COMPONENT_KUSTOMIZATION = 'kustomization.yaml';

/**
 * The file a policy is written to, as Online Boutique names them: `network-policy-<workload>.yaml`,
 * and `network-policy-deny-all.yaml` for the default deny.
 */
export function networkPolicyFileName(policy: NetworkPolicy): string {
  const name = policy.metadata.name === 'default-deny-all' ? 'deny-all' : policy.metadata.name;
  return `network-policy-${name}.yaml`;
}

/**
 * The kustomize component infra/k8s/components/network-policies/, as file name → content:
 * one file per policy (the default deny, DNS, then one per workload), each formatted as
 * Prettier formats it, and the `kind: Component` kustomization that lists them in that
 * order. The folder holds these files and nothing else.
 */
export function networkPolicyComponent(policies = renderNetworkPolicies()): Record<string, string> {
  const files: Record<string, string> = {};
  for (const policy of policies) {
    const file = networkPolicyFileName(policy);
    if (Object.hasOwn(files, file) || file === COMPONENT_KUSTOMIZATION) {
      throw new Error(`two NetworkPolicies would be written to ${file}: rename the workload`);
    }
    files[file] = `${NETWORK_POLICIES_HEADER}\n${stringify(policy, { lineWidth: 0 })}`;
  }
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1alpha1',
    kind: 'Component',
    resources: Object.keys(files),
  };
  return {
    [COMPONENT_KUSTOMIZATION]: `${NETWORK_POLICIES_HEADER}\n${stringify(kustomization)}`,
    ...files,
  };
}

/**
 * How the folder `dir` differs from `rendered`: a file missing, a file edited by hand or
 * left from an older policy, and a file no render writes (a removed workload's policy, or
 * one added by hand: the component would not apply it, yet a reader would believe it).
 * Empty when they agree.
 */
export function networkPolicyDrift(
  dir: string,
  rendered: Record<string, string> = networkPolicyComponent(),
): string[] {
  const present = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  const findings: string[] = [];
  for (const [file, text] of Object.entries(rendered)) {
    if (!present.includes(file)) findings.push(`${file}: missing`);
    else if (fs.readFileSync(path.join(dir, file), 'utf8') !== text)
      findings.push(`${file}: differs from a fresh render`);
  }
  for (const file of present) {
    if (!Object.hasOwn(rendered, file))
      findings.push(`${file}: not rendered (a stale or hand-made file)`);
  }
  return findings;
}

/**
 * Writes `rendered` into `dir` and removes every other file there, so the folder is exactly
 * a fresh render (a removed workload's policy goes with it). Returns what it removed.
 */
export function writeNetworkPolicyComponent(
  dir: string,
  rendered: Record<string, string> = networkPolicyComponent(),
): { written: string[]; removed: string[] } {
  fs.mkdirSync(dir, { recursive: true });
  const removed: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && !Object.hasOwn(rendered, entry.name)) {
      fs.rmSync(path.join(dir, entry.name));
      removed.push(entry.name);
    }
  }
  for (const [file, text] of Object.entries(rendered)) fs.writeFileSync(path.join(dir, file), text);
  return { written: Object.keys(rendered), removed: removed.sort() };
}
