import path from 'node:path';
import { REPO_ROOT } from '@citadel/config';

/** The deployment files this workspace renders and checks, at their places in the repository. */
export const repoPaths = {
  root: REPO_ROOT,
  compose: path.join(REPO_ROOT, 'docker-compose.yml'),
  dockerignore: path.join(REPO_ROOT, '.dockerignore'),
  dockerDir: path.join(REPO_ROOT, 'infra', 'docker'),
  k8sDir: path.join(REPO_ROOT, 'infra', 'k8s'),
  networkPolicies: path.join(REPO_ROOT, 'infra', 'k8s', 'network-policies.yaml'),
} as const;
