import fs from 'node:fs';
import { SERVICES } from '@citadel/config';
import {
  checkCallerAllowed,
  EAST_WEST_POLICY,
  OPERATOR_POLICY,
  type EastWestPolicy,
} from '@citadel/transport';
import { parseAllDocuments } from 'yaml';
import {
  networkPoliciesYaml,
  renderNetworkPolicies,
  type NetworkPolicy,
} from './network-policies.js';
import { isTrafficAllowed, OUTSIDE, type Pod } from './network-reachability.js';
import { repoPaths } from './repo-paths.js';
import {
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

const committed = (): NetworkPolicy[] =>
  parseAllDocuments(fs.readFileSync(repoPaths.networkPolicies, 'utf8')).map(
    (document) => document.toJS() as NetworkPolicy,
  );

const citadelPod = (app: string): Pod => ({ namespace: NAMESPACE, labels: { app } });
const vaultPod: Pod = { namespace: VAULT.namespace, labels: { ...VAULT.podLabels } };
const dnsPod: Pod = { namespace: CLUSTER_DNS.namespace, labels: { ...CLUSTER_DNS.podLabels } };

/**
 * Whether the enforced policy lets `caller` call `callee` at all. The network cannot see
 * gRPC methods, so a caller allowed some methods only (order → auth: GetJwks) must reach the
 * port, and the east-west interceptor refuses the other methods (`method-not-allowed`).
 * Workloads only: operator identities run in no pod.
 */
function mayConnect(callee: string, caller: string, policy: EastWestPolicy): boolean {
  const decision = checkCallerAllowed(callee, caller, '', { services: policy, operators: {} });
  return decision.allowed || decision.reason === 'method-not-allowed';
}

/** Every connection the deployment needs, and nothing more. */
function expectedConnections(policy: EastWestPolicy, workloads: string[]): Set<string> {
  const allowed = new Set<string>();
  for (const caller of workloads) {
    for (const callee of workloads) {
      if (mayConnect(callee, caller, policy))
        allowed.add(`${caller} -> ${callee}:${LISTEN_PORTS[callee]}`);
    }
    if (DATABASE_CLIENTS.includes(caller))
      allowed.add(`${caller} -> ${POSTGRES}:${LISTEN_PORTS[POSTGRES]}`);
    if (VAULT_CLIENTS.includes(caller)) allowed.add(`${caller} -> vault:${VAULT.port}`);
  }
  allowed.add(`${OUTSIDE} -> ${EDGE}:${LISTEN_PORTS[EDGE]}`);
  return allowed;
}

/** Every connection `policies` let through, between every pair of workloads and on every port. */
function actualConnections(policies: NetworkPolicy[], workloads: string[]): Set<string> {
  const ports = [...new Set([...Object.values(LISTEN_PORTS), VAULT.port])];
  const targets: [string, Pod][] = [
    ...workloads.map((name): [string, Pod] => [name, citadelPod(name)]),
    ['vault', vaultPod],
  ];
  const sources: [string, Pod | typeof OUTSIDE][] = [
    ...workloads.map((name): [string, Pod] => [name, citadelPod(name)]),
    [OUTSIDE, OUTSIDE],
  ];
  const allowed = new Set<string>();
  for (const [fromName, from] of sources) {
    for (const [toName, to] of targets) {
      // Vault's own namespace is governed by its own policies, not by these.
      if (from === OUTSIDE && to.namespace !== NAMESPACE) continue;
      for (const port of ports) {
        if (isTrafficAllowed(policies, from, to, port))
          allowed.add(`${fromName} -> ${toName}:${port}`);
      }
    }
  }
  return allowed;
}

/** The workloads to try: every deployed one, every name in the policy, and a rogue one. */
function workloadsFor(policy: EastWestPolicy): string[] {
  const names = new Set<string>([...SERVICES, POSTGRES, 'vault-bootstrap', 'analytics']);
  for (const [callee, callers] of Object.entries(policy)) {
    names.add(callee);
    for (const caller of Object.keys(callers)) names.add(caller);
  }
  return [...names].sort();
}

describe('Kubernetes NetworkPolicies, generated from the east-west policy', () => {
  it('the committed infra/k8s/network-policies.yaml is a fresh render (else: npm run render:k8s)', () => {
    expect(fs.readFileSync(repoPaths.networkPolicies, 'utf8')).toBe(networkPoliciesYaml());
  });

  it('allow exactly the connections the enforced policy allows, between every pair of workloads', () => {
    const workloads = workloadsFor(EAST_WEST_POLICY);
    const actual = [...actualConnections(committed(), workloads)].sort();
    const expected = [...expectedConnections(EAST_WEST_POLICY, workloads)].sort();
    expect(actual).toEqual(expected);
    // The attack-point-3 pairs, spelled out.
    expect(actual).toContain('order -> payment:50053');
    expect(actual).not.toContain('gateway -> payment:50053');
    expect(actual).not.toContain('analytics -> payment:50053');
    expect(actual).not.toContain('analytics -> order:50052');
    expect(actual).not.toContain('gateway -> postgres:5432');
  });

  it('deny by default, let every pod resolve names, and open no other way out', () => {
    const policies = committed();
    expect(policies[0]).toMatchObject({
      metadata: { name: 'default-deny-all' },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    expect(policies[0]!.spec.ingress).toBeUndefined();
    expect(policies[0]!.spec.egress).toBeUndefined();
    const elsewhere: Pod = { namespace: 'default', labels: { app: 'anything' } };
    for (const name of workloadsFor(EAST_WEST_POLICY)) {
      const pod = citadelPod(name);
      expect([name, isTrafficAllowed(policies, pod, dnsPod, 53, 'UDP')]).toEqual([name, true]);
      expect([name, isTrafficAllowed(policies, pod, elsewhere, 443)]).toEqual([name, false]);
      expect([name, isTrafficAllowed(policies, OUTSIDE, pod, 53, 'UDP')]).toEqual([name, false]);
    }
  });

  it('let the gateway replicas, and nothing else, reach the Redis they share', () => {
    const policies = committed();
    const redisPod: Pod = { namespace: REDIS.namespace, labels: { ...REDIS.podLabels } };
    expect(REDIS_CLIENTS).toEqual([EDGE]);
    for (const name of workloadsFor(EAST_WEST_POLICY)) {
      expect([name, isTrafficAllowed(policies, citadelPod(name), redisPod, REDIS.port)]).toEqual([
        name,
        name === EDGE,
      ]);
    }
  });

  it('follow the policy: a new edge opens exactly that path, a removed one closes it', () => {
    const widened: EastWestPolicy = {
      ...EAST_WEST_POLICY,
      payment: {
        ...EAST_WEST_POLICY.payment,
        analytics: ['citadel.payment.v1.PaymentService/GetPayment'],
      },
    };
    const narrowed: EastWestPolicy = { ...EAST_WEST_POLICY, payment: {} };
    const analytics = citadelPod('analytics');
    const order = citadelPod('order');
    const payment = citadelPod('payment');
    expect(isTrafficAllowed(renderNetworkPolicies(), analytics, payment, 50053)).toBe(false);
    expect(isTrafficAllowed(renderNetworkPolicies(widened), analytics, payment, 50053)).toBe(true);
    expect(isTrafficAllowed(renderNetworkPolicies(widened), analytics, order, 50052)).toBe(false);
    expect(isTrafficAllowed(renderNetworkPolicies(narrowed), order, payment, 50053)).toBe(false);
    for (const policy of [widened, narrowed]) {
      const workloads = workloadsFor(policy);
      expect([...actualConnections(renderNetworkPolicies(policy), workloads)].sort()).toEqual(
        [...expectedConnections(policy, workloads)].sort(),
      );
    }
  });

  it('open nothing for operator identities (no pod runs them) nor for names no service has', () => {
    const selected = committed().flatMap(
      (policy) => JSON.stringify(policy).match(/"app":"[a-z0-9-]+"/g) ?? [],
    );
    for (const name of [...Object.keys(OPERATOR_POLICY), 'refund'])
      expect(selected).not.toContain(`"app":"${name}"`);
  });

  it('refuse to render a callee whose port is unknown, rather than open a guessed one', () => {
    expect(() =>
      renderNetworkPolicies({
        ...EAST_WEST_POLICY,
        'not-deployed': { order: ['citadel.not_deployed.v1.NotDeployedService/Do'] },
      }),
    ).toThrow(/"not-deployed", but no port is known/);
  });
});
