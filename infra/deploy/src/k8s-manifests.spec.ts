import fs from 'node:fs';
import path from 'node:path';
import { SERVICES } from '@citadel/config';
import { parse } from 'yaml';
import { loadManifests, workloadFindings, workloadsOf, type Manifest } from './k8s-checks.js';
import { repoPaths } from './repo-paths.js';
import { APP_LABEL, LISTEN_PORTS, NAMESPACE } from './topology.js';

const manifests = loadManifests(repoPaths.k8sDir);
const find = (kind: string, name: string) =>
  manifests.find(({ object }) => object.kind === kind && object.metadata?.name === name)?.object;

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    serviceAccountName?: string;
    containers?: { env?: { name: string; value?: string }[] }[];
  };
}

describe('Kubernetes manifests (infra/k8s)', () => {
  it('hold every workload to the same rules: own ServiceAccount, non-root, read-only, limits', () => {
    expect(workloadsOf(manifests).length).toBeGreaterThanOrEqual(SERVICES.length);
    expect(workloadFindings(manifests)).toEqual([]);
  });

  it('run each service as a Deployment with its own ServiceAccount, labelled as the NetworkPolicies select it', () => {
    for (const service of SERVICES) {
      const deployment = find('Deployment', service);
      const template = (deployment?.spec as { template?: PodTemplate } | undefined)?.template;
      expect([service, template?.spec?.serviceAccountName]).toEqual([service, service]);
      expect([service, template?.metadata?.labels?.[APP_LABEL]]).toEqual([service, service]);
      expect([service, find('ServiceAccount', service)?.metadata?.namespace]).toEqual([
        service,
        NAMESPACE,
      ]);
      const ports = (find('Service', service)?.spec as { ports?: { port: number }[] }).ports;
      expect([service, ports?.map((port) => port.port)]).toEqual([
        service,
        [LISTEN_PORTS[service]],
      ]);
    }
  });

  it("give each service's Vault Agent that service's Kubernetes auth role, delivering to its own path", () => {
    for (const service of SERVICES) {
      const template = (find('Deployment', service)?.spec as { template?: PodTemplate }).template;
      const annotations = template?.metadata?.annotations ?? {};
      expect([service, annotations['vault.hashicorp.com/role']]).toEqual([
        service,
        `citadel-${service}`,
      ]);
      expect([service, annotations['vault.hashicorp.com/secret-volume-path']]).toEqual([
        service,
        `/citadel/home/vault/${service}`,
      ]);
      const paths = Object.entries(annotations)
        .filter(([key]) => key.startsWith('vault.hashicorp.com/agent-inject-'))
        .flatMap(([, value]) => value.match(/auth\/approle\/role\/[a-z-]+/g) ?? []);
      expect([service, [...new Set(paths)]]).toEqual([service, [`auth/approle/role/${service}`]]);
      const env = Object.fromEntries(
        (template?.spec?.containers?.[0]?.env ?? []).map((item) => [item.name, item.value]),
      );
      expect([service, env.CITADEL_HOME, env.VAULT_ADDR]).toEqual([
        service,
        '/citadel/home',
        expect.stringMatching(/^https:\/\//),
      ]);
      // The Kubernetes auth policy behind that role reaches this service's AppRole only.
      const policy = fs.readFileSync(
        path.join(repoPaths.k8sDir, 'vault', 'policies', `${service}-delivery.hcl`),
        'utf8',
      );
      const granted = [...policy.matchAll(/^path "([^"]+)"/gm)].map((match) => match[1]);
      expect([service, granted]).toEqual([
        service,
        [`auth/approle/role/${service}/role-id`, `auth/approle/role/${service}/secret-id`],
      ]);
    }
  });

  it('put every object in the citadel namespace, and kustomization.yaml lists every file', () => {
    for (const { file, object } of manifests) {
      if (object.kind === 'Namespace') continue;
      expect([file, object.kind, object.metadata?.namespace]).toEqual([
        file,
        object.kind,
        NAMESPACE,
      ]);
    }
    const kustomization = parse(
      fs.readFileSync(path.join(repoPaths.k8sDir, 'kustomization.yaml'), 'utf8'),
    ) as { resources: string[] };
    const files = [...new Set(manifests.map((manifest) => manifest.file))];
    expect([...kustomization.resources].sort()).toEqual(
      files.filter((f) => !f.includes('/')).sort(),
    );
  });

  it('enforce the restricted Pod Security profile on the namespace', () => {
    const namespace = find('Namespace', NAMESPACE) as {
      metadata?: { labels?: Record<string, string> };
    };
    expect(namespace.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});

describe('the Kubernetes checks catch what they look for (so a clean result means something)', () => {
  it('finds every kind of violation', () => {
    const bad: Manifest[] = [
      {
        file: 'bad.yaml',
        object: {
          kind: 'Deployment',
          metadata: { name: 'a', namespace: 'citadel' },
          spec: {
            template: {
              spec: {
                hostNetwork: true,
                containers: [
                  { name: 'a', image: 'citadel/a:latest', securityContext: { privileged: true } },
                ],
              },
            },
          },
        },
      },
      {
        file: 'bad.yaml',
        object: {
          kind: 'Job',
          metadata: { name: 'b', namespace: 'citadel' },
          spec: {
            template: {
              spec: {
                serviceAccountName: 'shared',
                securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
                containers: [
                  {
                    name: 'b',
                    image: 'citadel/b:1.0.0',
                    securityContext: {
                      allowPrivilegeEscalation: false,
                      readOnlyRootFilesystem: true,
                      capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] },
                    },
                    resources: {
                      limits: { cpu: '1', memory: '1Gi' },
                      requests: { cpu: '1', memory: '1Gi' },
                    },
                  },
                ],
              },
            },
          },
        },
      },
      {
        file: 'bad.yaml',
        object: {
          kind: 'Job',
          metadata: { name: 'c', namespace: 'citadel' },
          spec: { template: { spec: { serviceAccountName: 'shared', containers: [] } } },
        },
      },
    ];
    const findings = workloadFindings(bad);
    for (const expected of [
      "bad.yaml: Deployment a: runs as the namespace's default ServiceAccount",
      'bad.yaml: Deployment a: shares a host namespace',
      'bad.yaml: Deployment a, container a: runAsNonRoot is not true',
      'bad.yaml: Deployment a, container a: allowPrivilegeEscalation is not false',
      'bad.yaml: Deployment a, container a: readOnlyRootFilesystem is not true',
      'bad.yaml: Deployment a, container a: privileged',
      'bad.yaml: Deployment a, container a: does not drop ALL capabilities',
      'bad.yaml: Deployment a, container a: no seccomp profile (RuntimeDefault)',
      'bad.yaml: Deployment a, container a: image citadel/a:latest is not pinned to a version',
      'bad.yaml: Deployment a, container a: no memory limit',
      'bad.yaml: Deployment a, container a: no readinessProbe',
      'bad.yaml: Job b: ServiceAccount shared is not declared',
      'bad.yaml: Job b, container b: adds capabilities NET_ADMIN',
      'bad.yaml: Job c: no containers',
      'ServiceAccount citadel/shared is shared by bad.yaml: Job b; bad.yaml: Job c',
    ])
      expect(findings).toContain(expected);
  });
});
