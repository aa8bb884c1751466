import { workloadFindings, type Manifest } from './k8s-checks.js';

/** A Deployment that passes every other workload check, with `replicas` and `env`. */
function deployment(name: string, replicas: number, env: { name: string }[] = []): Manifest[] {
  const secure = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  };
  const probe = { httpGet: { path: '/healthz', port: 1 } };
  return [
    {
      file: 'x.yaml',
      object: { kind: 'ServiceAccount', metadata: { name, namespace: 'citadel' } },
    },
    {
      file: 'x.yaml',
      object: {
        kind: 'Deployment',
        metadata: { name, namespace: 'citadel' },
        spec: {
          replicas,
          template: {
            metadata: { labels: { app: name } },
            spec: {
              serviceAccountName: name,
              securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [
                {
                  name,
                  image: `citadel/${name}:1.0.0`,
                  env,
                  securityContext: secure,
                  resources: {
                    limits: { cpu: '1', memory: '1Gi' },
                    requests: { cpu: '1', memory: '1Gi' },
                  },
                  readinessProbe: probe,
                  livenessProbe: probe,
                },
              ],
            },
          },
        },
      },
    },
  ];
}

const budget = (app: string, spec: Record<string, unknown>): Manifest => ({
  file: 'x.yaml',
  object: {
    kind: 'PodDisruptionBudget',
    metadata: { name: app, namespace: 'citadel' },
    spec: { selector: { matchLabels: { app } }, ...spec },
  },
});

const REDIS = [{ name: 'REDIS_URL' }];

describe('the Kubernetes checks on replicated workloads', () => {
  it('one replica needs no budget and no Redis', () => {
    expect(workloadFindings(deployment('gateway', 1))).toEqual([]);
  });

  it('several replicas need a PodDisruptionBudget that still lets a drain evict one', () => {
    const gateway = deployment('gateway', 2, REDIS);
    expect(workloadFindings(gateway)).toEqual([
      'x.yaml: Deployment gateway: 2 replicas and no PodDisruptionBudget',
    ]);
    expect(workloadFindings([...gateway, budget('other', { minAvailable: 1 })])).toEqual([
      'x.yaml: Deployment gateway: 2 replicas and no PodDisruptionBudget',
    ]);
    expect(workloadFindings([...gateway, budget('gateway', { minAvailable: 2 })])).toEqual([
      'x.yaml: Deployment gateway: PodDisruptionBudget gateway blocks every drain',
    ]);
    expect(workloadFindings([...gateway, budget('gateway', { maxUnavailable: 0 })])).toEqual([
      'x.yaml: Deployment gateway: PodDisruptionBudget gateway blocks every drain',
    ]);
    expect(workloadFindings([...gateway, budget('gateway', { minAvailable: 1 })])).toEqual([]);
  });

  it('several replicas need REDIS_URL (shared counters and revocations)', () => {
    const pdb = budget('gateway', { minAvailable: 1 });
    expect(workloadFindings([...deployment('gateway', 2), pdb])).toEqual([
      'x.yaml: Deployment gateway: 2 replicas without REDIS_URL',
    ]);
    expect(workloadFindings([...deployment('gateway', 2, REDIS), pdb])).toEqual([]);
  });

  it('every replicated service needs a budget; only the gateway needs Redis', () => {
    const order = deployment('order', 2);
    expect(workloadFindings(order)).toEqual([
      'x.yaml: Deployment order: 2 replicas and no PodDisruptionBudget',
    ]);
    expect(workloadFindings([...order, budget('order', { minAvailable: 1 })])).toEqual([]);
  });
});
