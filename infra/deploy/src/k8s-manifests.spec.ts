import fs from 'node:fs';
import path from 'node:path';
import { SERVICES } from '@citadel/config';
import { parse } from 'yaml';
import {
  loadManifests,
  workloadFindings,
  workloadsOf,
  type K8sObject,
  type Manifest,
} from './k8s-checks.js';
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

interface PodVolume {
  name: string;
  secret?: { secretName?: string; items?: { key: string; path: string }[] };
  projected?: {
    sources?: {
      serviceAccountToken?: { audience?: string; expirationSeconds?: number; path?: string };
    }[];
  };
}
interface ServicePod extends PodTemplate {
  spec?: PodTemplate['spec'] & {
    automountServiceAccountToken?: boolean;
    volumes?: PodVolume[];
    containers?: {
      env?: { name: string; value?: string }[];
      volumeMounts?: { name: string; mountPath: string }[];
    }[];
  };
}

const podSpecOf = (object: K8sObject) =>
  (object.spec as { template?: ServicePod } | undefined)?.template?.spec;
const podTemplateOf = (service: string) =>
  (find('Deployment', service)?.spec as { template: ServicePod }).template;
const envOf = (pod: ServicePod) =>
  Object.fromEntries(
    (pod.spec?.containers?.[0]?.env ?? []).map((item) => [item.name, item.value]),
  ) as Record<string, string | undefined>;
/** The pod volume mounted (in the first container) over the directory holding `file`. */
const volumeAt = (pod: ServicePod, file: string) => {
  const mount = pod.spec?.containers?.[0]?.volumeMounts?.find(
    (candidate) => candidate.mountPath === path.dirname(file),
  );
  return pod.spec?.volumes?.find((volume) => volume.name === mount?.name);
};

/**
 * The files the README makes Secret `secret` from (`--from-file`, `--key`) that are a CA's
 * private key by name: `ca-key.pem`, `ca.key`, `vault-ca.key`, …
 */
function caKeySources(readme: string, secret: string): string[] {
  const commands = readme
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => new RegExp(`create (?:secret|configmap) \\S+ ${secret}(?:\\s|$)`).test(line));
  return commands.flatMap((line) =>
    [...line.matchAll(/--(?:from-file|key|cert)=(?:[^=\s]+=)?(\S+)/g)]
      .map((match) => match[1]!)
      .filter(
        (file) =>
          /(^|[/_-])ca[-_.]?key|ca[^/]*\.key$/i.test(path.basename(file)) || /ca-key/.test(file),
      ),
  );
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

  it('log each service in to Vault itself, with its pod’s Vault-audience token: no Vault Agent, no AppRole', () => {
    for (const service of SERVICES) {
      const pod = podTemplateOf(service);
      const annotations = Object.keys(pod.metadata?.annotations ?? {});
      expect([
        service,
        annotations.filter((key) => key.startsWith('vault.hashicorp.com/')),
      ]).toEqual([service, []]);
      const env = envOf(pod);
      expect([service, env.VAULT_AUTH_METHOD, env.VAULT_ADDR]).toEqual([
        service,
        'kubernetes',
        expect.stringMatching(/^https:\/\//),
      ]);
      // The token file is a projected service-account token for Vault alone, short-lived.
      const token = volumeAt(pod, env.VAULT_K8S_TOKEN_FILE!);
      const sources = token?.projected?.sources ?? [];
      expect([service, sources]).toEqual([
        service,
        [
          {
            serviceAccountToken: {
              audience: 'vault',
              expirationSeconds: expect.any(Number),
              path: 'token',
            },
          },
        ],
      ]);
      expect(sources[0]!.serviceAccountToken!.expirationSeconds).toBeLessThanOrEqual(3600);
      expect(pod.spec?.automountServiceAccountToken).toBe(false);
    }
  });

  it('trust, for Vault, the CA the README installs Vault with, from one Secret and key', () => {
    const readme = fs.readFileSync(path.join(repoPaths.k8sDir, 'README.md'), 'utf8');
    for (const service of SERVICES) {
      const pod = podTemplateOf(service);
      const file = envOf(pod).VAULT_CACERT!;
      const volume = volumeAt(pod, file);
      const secret = volume?.secret;
      expect([service, secret?.secretName]).toEqual([service, 'citadel-vault-ca']);
      const key = secret?.items?.find((item) => item.path === path.basename(file))?.key;
      // The README creates that Secret, with that key, from the CA file the chart's Secret
      // vault-tls (which Vault's listener serves from) holds as its ca.crt.
      const created = new RegExp(
        `-n citadel create secret generic citadel-vault-ca --from-file=${key}=(\\S+)`,
      ).exec(readme);
      const chart =
        /-n vault create secret generic vault-tls[^\n]*\n?[^\n]*--from-file=ca\.crt=(\S+)/.exec(
          readme,
        );
      expect([service, created?.[1]]).toEqual([service, chart?.[1]]);
      expect(chart?.[1]).toBeDefined();
    }
    const values = parse(
      fs.readFileSync(path.join(repoPaths.k8sDir, 'vault', 'helm-values.yaml'), 'utf8'),
    ) as {
      global: { tlsDisable: boolean };
      server: { volumes: { secret: { secretName: string } }[] };
    };
    expect(values.global.tlsDisable).toBe(false);
    // Its listener's certificate, and the infrastructure CA (its database engine checks
    // PostgreSQL's certificate against it): neither Secret made from a CA key.
    expect(values.server.volumes.map((volume) => volume.secret.secretName)).toEqual([
      'vault-tls',
      'citadel-ca',
    ]);
    for (const secret of ['vault-tls', 'citadel-ca'])
      expect(caKeySources(readme, secret)).toEqual([]);
  });

  it("bind each service's Kubernetes auth role to its ServiceAccount, its namespace, audience vault and its own policy", () => {
    const script = fs.readFileSync(
      path.join(repoPaths.k8sDir, 'vault', 'configure-kubernetes-auth.sh'),
      'utf8',
    );
    // One role per policy file, and a policy file per service of the registry.
    expect(script).toMatch(/for policy in "\$POLICIES"\/\*\.hcl/);
    for (const service of SERVICES) {
      expect(
        fs.existsSync(path.join(repoPaths.root, 'infra', 'vault', 'policies', `${service}.hcl`)),
      ).toBe(true);
    }
    const role =
      /vault write "auth\/kubernetes\/role\/citadel-\$service" \\\n((?:\s+\S+=\S+(?: \\)?\n)+)/.exec(
        script,
      )?.[1];
    const fields = Object.fromEntries(
      (role ?? '').split('\n').flatMap((line) => {
        const match = /(\w+)=(\S+?)(?: \\)?$/.exec(line.trim());
        return match ? [[match[1], match[2]]] : [];
      }),
    );
    expect(fields).toEqual({
      bound_service_account_names: '"$service"',
      bound_service_account_namespaces: '"$NAMESPACE"',
      audience: 'vault',
      token_policies: '"$service"',
      token_period: '1h',
    });
    // No AppRole delivery is left: no delivery policies, nothing reading a secret_id.
    expect(fs.existsSync(path.join(repoPaths.k8sDir, 'vault', 'policies'))).toBe(false);
    expect(script).not.toMatch(/approle|secret[-_]id/i);
  });

  it('mount no CA private key into any pod: every Secret a pod mounts is made without one', () => {
    const readme = fs.readFileSync(path.join(repoPaths.k8sDir, 'README.md'), 'utf8');
    const mounted = new Set(
      workloadsOf(manifests).flatMap(({ object }) =>
        (podSpecOf(object)?.volumes ?? []).flatMap((volume) =>
          volume.secret?.secretName ? [volume.secret.secretName] : [],
        ),
      ),
    );
    expect(mounted.size).toBeGreaterThan(0);
    for (const secret of mounted) {
      expect(caKeySources(readme, secret)).toEqual([]);
    }
    // The check sees one: a Secret made from a CA's key is reported.
    expect(
      caKeySources(
        'kubectl -n citadel create secret generic x --from-file=ca.pem --from-file=pki/ca-key.pem',
        'x',
      ),
    ).toEqual(['pki/ca-key.pem']);
    expect(
      caKeySources('kubectl -n vault create secret tls x --cert=a.crt --key=vault-ca.key', 'x'),
    ).toEqual(['vault-ca.key']);
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
