import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isPinnedImage } from './dockerfile-checks.js';
import { EDGE } from './topology.js';

/** A Kubernetes object as read from a manifest: only the fields these checks look at are typed. */
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}
export interface Manifest {
  file: string;
  object: K8sObject;
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type?: string };
}
interface Container {
  name?: string;
  image?: string;
  securityContext?: SecurityContext;
  resources?: { limits?: Record<string, unknown>; requests?: Record<string, unknown> };
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  env?: { name?: string }[];
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  securityContext?: SecurityContext;
  containers?: Container[];
  initContainers?: Container[];
}

/** Every Kubernetes object of every YAML file under `dir` (kustomize's own files skipped). */
export function loadManifests(dir: string): Manifest[] {
  const files = (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((file) => /\.ya?ml$/.test(file))
    .sort();
  return files.flatMap((file) =>
    parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8'))
      .map((document) => document.toJS() as K8sObject | null)
      .filter((object): object is K8sObject => Boolean(object?.kind))
      .filter((object) => !object.apiVersion?.startsWith('kustomize.config.k8s.io/'))
      .map((object) => ({ file, object })),
  );
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);
const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

function podSpecOf(object: K8sObject): PodSpec | undefined {
  const spec = object.spec as
    | { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } }
    | undefined;
  return object.kind === 'CronJob' ? spec?.jobTemplate?.spec?.template?.spec : spec?.template?.spec;
}

/** The workloads (Deployments, StatefulSets, Jobs…) among `manifests`. */
export function workloadsOf(manifests: Manifest[]): Manifest[] {
  return manifests.filter(({ object }) => WORKLOAD_KINDS.has(object.kind ?? ''));
}

/**
 * What every Citadel workload must be: its own ServiceAccount (declared, and shared with no
 * other workload), non-root, no privilege escalation, no capabilities, a read-only root
 * filesystem, the runtime's seccomp profile, no host namespaces, pinned images, resource
 * requests and limits, and, for the long-running ones, readiness and liveness probes.
 */
export function workloadFindings(manifests: Manifest[]): string[] {
  const findings: string[] = [];
  const accounts = new Set(
    manifests
      .filter(({ object }) => object.kind === 'ServiceAccount')
      .map(({ object }) => `${object.metadata?.namespace}/${object.metadata?.name}`),
  );
  const accountUsers = new Map<string, string[]>();

  for (const { file, object } of workloadsOf(manifests)) {
    const id = `${file}: ${object.kind} ${object.metadata?.name}`;
    const pod = podSpecOf(object);
    if (!pod) {
      findings.push(`${id}: no pod template`);
      continue;
    }
    const account = pod.serviceAccountName;
    if (!account || account === 'default') {
      findings.push(`${id}: runs as the namespace's default ServiceAccount`);
    } else {
      const key = `${object.metadata?.namespace}/${account}`;
      if (!accounts.has(key)) findings.push(`${id}: ServiceAccount ${account} is not declared`);
      accountUsers.set(key, [...(accountUsers.get(key) ?? []), id]);
    }
    if (pod.hostNetwork || pod.hostPID || pod.hostIPC)
      findings.push(`${id}: shares a host namespace`);

    const podContext = pod.securityContext ?? {};
    const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
    if (!containers.length) findings.push(`${id}: no containers`);
    for (const container of containers) {
      const where = `${id}, container ${container.name}`;
      const context = container.securityContext ?? {};
      const runAsNonRoot = context.runAsNonRoot ?? podContext.runAsNonRoot;
      const runAsUser = context.runAsUser ?? podContext.runAsUser;
      if (runAsNonRoot !== true) findings.push(`${where}: runAsNonRoot is not true`);
      if (runAsUser === 0) findings.push(`${where}: runAsUser is 0`);
      if (context.allowPrivilegeEscalation !== false)
        findings.push(`${where}: allowPrivilegeEscalation is not false`);
      if (context.readOnlyRootFilesystem !== true)
        findings.push(`${where}: readOnlyRootFilesystem is not true`);
      if (context.privileged) findings.push(`${where}: privileged`);
      if (!(context.capabilities?.drop ?? []).includes('ALL'))
        findings.push(`${where}: does not drop ALL capabilities`);
      if ((context.capabilities?.add ?? []).length)
        findings.push(`${where}: adds capabilities ${context.capabilities?.add?.join(', ')}`);
      const seccomp = context.seccompProfile?.type ?? podContext.seccompProfile?.type;
      if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost')
        findings.push(`${where}: no seccomp profile (RuntimeDefault)`);
      if (!container.image || !isPinnedImage(container.image))
        findings.push(`${where}: image ${container.image} is not pinned to a version`);
      for (const resource of ['cpu', 'memory']) {
        if (container.resources?.limits?.[resource] === undefined)
          findings.push(`${where}: no ${resource} limit`);
        if (container.resources?.requests?.[resource] === undefined)
          findings.push(`${where}: no ${resource} request`);
      }
    }
    if (LONG_RUNNING.has(object.kind ?? '')) {
      for (const container of pod.containers ?? []) {
        if (!container.readinessProbe)
          findings.push(`${id}, container ${container.name}: no readinessProbe`);
        if (!container.livenessProbe)
          findings.push(`${id}, container ${container.name}: no livenessProbe`);
      }
    }
  }
  for (const [account, users] of accountUsers) {
    if (users.length > 1)
      findings.push(`ServiceAccount ${account} is shared by ${users.join('; ')}`);
  }
  return [...findings, ...replicaFindings(manifests)];
}

/**
 * Replicas are there to keep serving while a node is drained, so a PodDisruptionBudget
 * must cover every replicated workload (one that still lets a drain evict a pod, or it
 * blocks every upgrade). The gateway's replicas share rate-limit counters and revocations
 * through Redis only: without REDIS_URL, each would count alone and serve tokens another
 * replica revoked.
 */
function replicaFindings(manifests: Manifest[]): string[] {
  const findings: string[] = [];
  const budgets = manifests.filter(({ object }) => object.kind === 'PodDisruptionBudget');
  for (const { file, object } of manifests) {
    const spec = object.spec as
      | { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } }
      | undefined;
    const replicas = spec?.replicas ?? 1;
    if (!LONG_RUNNING.has(object.kind ?? '') || replicas <= 1) continue;
    const id = `${file}: ${object.kind} ${object.metadata?.name}`;
    const labels = spec?.template?.metadata?.labels ?? {};
    const budget = budgets.find(({ object: pdb }) => {
      const selector = (pdb.spec as { selector?: { matchLabels?: Record<string, string> } })
        ?.selector?.matchLabels;
      return (
        pdb.metadata?.namespace === object.metadata?.namespace &&
        selector !== undefined &&
        Object.keys(selector).length > 0 &&
        Object.entries(selector).every(([key, value]) => labels[key] === value)
      );
    });
    if (!budget) {
      findings.push(`${id}: ${replicas} replicas and no PodDisruptionBudget`);
    } else {
      const { minAvailable, maxUnavailable } = budget.object.spec as {
        minAvailable?: number | string;
        maxUnavailable?: number | string;
      };
      if (
        (typeof minAvailable === 'number' && minAvailable >= replicas) ||
        minAvailable === '100%' ||
        maxUnavailable === 0 ||
        maxUnavailable === '0%'
      )
        findings.push(
          `${id}: PodDisruptionBudget ${budget.object.metadata?.name} blocks every drain`,
        );
    }
    if (object.metadata?.name !== EDGE) continue;
    const env = podSpecOf(object)?.containers?.flatMap((container) => container.env ?? []) ?? [];
    if (!env.some((variable) => variable.name === 'REDIS_URL'))
      findings.push(`${id}: ${replicas} replicas without REDIS_URL`);
  }
  return findings;
}
