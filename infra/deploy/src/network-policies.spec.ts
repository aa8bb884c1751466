import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICES } from '@citadel/config';
import {
  checkCallerAllowed,
  EAST_WEST_POLICY,
  OPERATOR_POLICY,
  type EastWestPolicy,
} from '@citadel/transport';
import { parse, parseAllDocuments } from 'yaml';
import { loadManifests } from './k8s-checks.js';
import {
  COMPONENT_KUSTOMIZATION,
  networkPolicyComponent,
  networkPolicyDrift,
  networkPolicyFileName,
  renderNetworkPolicies,
  writeNetworkPolicyComponent,
  type NetworkPolicy,
} from './network-policies.js';
import { isTrafficAllowed, OUTSIDE, type Pod } from './network-reachability.js';
import { repoPaths } from './repo-paths.js';
import {
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

const componentDir = repoPaths.networkPoliciesDir;
const readComponent = (file: string): string =>
  fs.readFileSync(path.join(componentDir, file), 'utf8');

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  components?: string[];
}

/** The committed policies, read file by file in the order the component lists them. */
const committed = (): NetworkPolicy[] =>
  (parse(readComponent(COMPONENT_KUSTOMIZATION)) as Kustomization).resources!.flatMap((file) =>
    parseAllDocuments(readComponent(file)).map((document) => document.toJS() as NetworkPolicy),
  );

const byName = (a: NetworkPolicy, b: NetworkPolicy) =>
  a.metadata.name.localeCompare(b.metadata.name);

/** The policies in `yaml`, sorted by name (kustomize sorts its output its own way). */
const policiesIn = (yaml: string): NetworkPolicy[] =>
  parseAllDocuments(yaml)
    .map((document) => document.toJS() as NetworkPolicy | null)
    .filter((object): object is NetworkPolicy => object?.kind === 'NetworkPolicy')
    .sort(byName);

const hasKubectl = !spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).error;

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
  it('the committed infra/k8s/components/network-policies/ is a fresh render, file for file (else: npm run render:k8s)', () => {
    expect(networkPolicyDrift(componentDir)).toEqual([]);
    expect(fs.readdirSync(componentDir).sort()).toEqual(
      Object.keys(networkPolicyComponent()).sort(),
    );
  });

  it('the drift check fails on a missing, an edited and an extra file, and a render repairs all three', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-netpol-'));
    try {
      expect(writeNetworkPolicyComponent(dir)).toMatchObject({ removed: [] });
      expect(networkPolicyDrift(dir)).toEqual([]);
      fs.rmSync(path.join(dir, 'network-policy-payment.yaml'));
      fs.appendFileSync(path.join(dir, 'network-policy-order.yaml'), '    - to: []\n');
      fs.writeFileSync(path.join(dir, 'network-policy-analytics.yaml'), 'kind: NetworkPolicy\n');
      expect(networkPolicyDrift(dir)).toEqual([
        'network-policy-order.yaml: differs from a fresh render',
        'network-policy-payment.yaml: missing',
        'network-policy-analytics.yaml: not rendered (a stale or hand-made file)',
      ]);
      expect(writeNetworkPolicyComponent(dir).removed).toEqual(['network-policy-analytics.yaml']);
      expect(networkPolicyDrift(dir)).toEqual([]);
      // A workload the policy no longer names loses its file at the next render.
      const withoutPayment = renderNetworkPolicies().filter((p) => p.metadata.name !== 'payment');
      expect(
        writeNetworkPolicyComponent(dir, networkPolicyComponent(withoutPayment)).removed,
      ).toEqual(['network-policy-payment.yaml']);
      expect(networkPolicyDrift(dir).sort()).toEqual([
        'kustomization.yaml: differs from a fresh render',
        'network-policy-payment.yaml: missing',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lay out as a kustomize component: the default deny, DNS, then one file per workload', () => {
    const kustomization = parse(readComponent(COMPONENT_KUSTOMIZATION)) as Kustomization;
    expect(kustomization).toMatchObject({
      apiVersion: 'kustomize.config.k8s.io/v1alpha1',
      kind: 'Component',
    });
    const workloads = [...SERVICES, POSTGRES, BOOTSTRAP].sort();
    expect(kustomization.resources).toEqual([
      'network-policy-deny-all.yaml',
      'network-policy-allow-dns.yaml',
      ...workloads.map((name) => `network-policy-${name}.yaml`),
    ]);
    // Every YAML file there is listed, so none is committed that kustomize would not apply.
    expect(
      fs
        .readdirSync(componentDir)
        .filter((file) => file !== COMPONENT_KUSTOMIZATION)
        .sort(),
    ).toEqual([...kustomization.resources!].sort());
    for (const file of kustomization.resources!) {
      const documents = parseAllDocuments(readComponent(file)).map(
        (document) => document.toJS() as NetworkPolicy,
      );
      expect([file, documents.length]).toEqual([file, 1]);
      expect([file, documents[0]!.kind]).toEqual([file, 'NetworkPolicy']);
      expect([file, networkPolicyFileName(documents[0]!)]).toEqual([file, file]);
    }
    for (const name of workloads) {
      const [policy] = parseAllDocuments(readComponent(`network-policy-${name}.yaml`)).map(
        (document) => document.toJS() as NetworkPolicy,
      );
      expect([name, policy!.spec.podSelector]).toEqual([name, { matchLabels: { app: name } }]);
    }
  });

  it('are applied by infra/k8s through the component, and declared nowhere else', () => {
    const base = parse(
      fs.readFileSync(path.join(repoPaths.k8sDir, 'kustomization.yaml'), 'utf8'),
    ) as Kustomization;
    const component = path.relative(repoPaths.k8sDir, componentDir).split(path.sep).join('/');
    expect(base.components).toEqual([component]);
    expect(base.resources).not.toContain(component);
    const elsewhere = loadManifests(repoPaths.k8sDir)
      .filter(({ object }) => object.kind === 'NetworkPolicy')
      .map(({ file }) => file.split(path.sep).join('/'))
      .filter((file) => !file.startsWith(`${component}/`));
    expect(elsewhere).toEqual([]);
  });

  (hasKubectl ? it : it.skip)(
    '`kubectl kustomize infra/k8s` emits exactly the rendered policies (skipped without kubectl; the test above still checks the wiring)',
    () => {
      const build = spawnSync('kubectl', ['kustomize', repoPaths.k8sDir], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      expect({ status: build.status, stderr: build.stderr }).toMatchObject({ status: 0 });
      expect(policiesIn(build.stdout)).toEqual(renderNetworkPolicies().sort(byName));
    },
  );

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

  it('refuse to write two policies to one file (a workload named deny-all would hide the default deny)', () => {
    const [deny] = renderNetworkPolicies();
    const impostor = { ...deny!, metadata: { ...deny!.metadata, name: 'deny-all' } };
    expect(() => networkPolicyComponent([deny!, impostor])).toThrow(
      /two NetworkPolicies would be written to network-policy-deny-all\.yaml/,
    );
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
