import { DATA_SERVICES, DEFAULT_PORTS, SERVICES } from '@citadel/config';

/**
 * What the deployments add to the east-west policy: where each workload listens, and the
 * two kinds of traffic that are not service-to-service calls (every service logs in to
 * Vault; the services that own data reach PostgreSQL). Kubernetes manifests, their
 * NetworkPolicies and the docker-compose networks are all checked against this one file.
 */

/** The namespace every Citadel workload runs in (infra/k8s/namespace.yaml). */
export const NAMESPACE = 'citadel';

/** The pod label every selector in infra/k8s matches on: `app: <workload>`. */
export const APP_LABEL = 'app';

/** The only workload reachable from outside the namespace (and, in compose, the host). */
export const EDGE = 'gateway';

export const POSTGRES = 'postgres';

/** The one-shot job that configures Vault and creates the PostgreSQL roles. */
export const BOOTSTRAP = 'vault-bootstrap';

/** Vault, installed by HashiCorp's Helm chart in its own namespace, with the chart's labels. */
export const VAULT = {
  namespace: 'vault',
  podLabels: { 'app.kubernetes.io/name': 'vault', component: 'server' },
  port: 8200,
} as const;

/**
 * The Redis the gateway replicas share (rate-limit counters, revocations), installed apart
 * (e.g. Bitnami's chart in its own namespace, with its labels): adjust to yours. Only the
 * gateway reaches it.
 */
export const REDIS = {
  namespace: 'redis',
  podLabels: { 'app.kubernetes.io/name': 'redis' },
  port: 6379,
} as const;

/** The workloads that talk to Redis. */
export const REDIS_CLIENTS: readonly string[] = [EDGE];

/** The cluster's DNS, which every pod may ask. */
export const CLUSTER_DNS = {
  namespace: 'kube-system',
  podLabels: { 'k8s-app': 'kube-dns' },
  port: 53,
} as const;

/** The port each workload listens on. Nothing else is ever opened to anyone. */
export const LISTEN_PORTS: Readonly<Record<string, number>> = {
  ...DEFAULT_PORTS,
  [POSTGRES]: 5432,
};

/** Every service has its own Vault identity, and the bootstrap configures Vault. */
export const VAULT_CLIENTS: readonly string[] = [...SERVICES, BOOTSTRAP];

/**
 * The services that own data (DATA_SERVICES, from the service registry in packages/config),
 * and the bootstrap that creates their roles. The gateway has no database.
 */
export const DATABASE_CLIENTS: readonly string[] = [...DATA_SERVICES, BOOTSTRAP];
