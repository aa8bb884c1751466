import path from 'node:path';
import { REPO_ROOT } from '@citadel/config';

/** The deployment files this workspace renders and checks, at their places in the repository. */
export const repoPaths = {
  root: REPO_ROOT,
  compose: path.join(REPO_ROOT, 'docker-compose.yml'),
  dockerignore: path.join(REPO_ROOT, '.dockerignore'),
  dockerDir: path.join(REPO_ROOT, 'infra', 'docker'),
  k8sDir: path.join(REPO_ROOT, 'infra', 'k8s'),
  /** The kustomize component the NetworkPolicies are rendered into, one file per policy. */
  networkPoliciesDir: path.join(REPO_ROOT, 'infra', 'k8s', 'components', 'network-policies'),
} as const;
