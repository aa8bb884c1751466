/**
 * Names a new service may not take: the infrastructure and one-shot workloads of the
 * deployments, identities the tests already give a meaning (`analytics`, the e2e suite's
 * rogue service; the policy's own identities are refused by `planService`), names that would
 * collide with a setting (`VAULT_PORT`), a Kubernetes file or policy, or a repository folder.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'all',
  'allow-dns',
  'analytics',
  'apps',
  'audit',
  'bench',
  'ca',
  'citadel',
  'components',
  'data',
  'default',
  'default-deny-all',
  'deny-all',
  'dist',
  'docs',
  'e2e',
  'edge',
  'infra',
  'init',
  'kube-dns',
  'kube-system',
  'kustomization',
  'localhost',
  'mesh',
  'namespace',
  'network-policies',
  'node-modules',
  'packages',
  'pki',
  'postgres',
  'scripts',
  'secrets',
  'secrets-init',
  'src',
  'test',
  'tools',
  'vault',
  'vault-bootstrap',
  'vault-init',
]);

/** Lowercase, a letter first, and a DNS label (Kubernetes, compose): no `--`, no trailing `-`. */
const NAME = /^[a-z][a-z0-9-]{1,30}$/;

/** Why `name` cannot be a new service, or `undefined` when it can. */
export function serviceNameProblem(name: string, existing: readonly string[]): string | undefined {
  if (!NAME.test(name))
    return `"${name}" is not a service name: lowercase letters, digits and "-", starting with a letter, 2 to 31 characters`;
  if (name.endsWith('-') || name.includes('--'))
    return `"${name}" is not a DNS label: no trailing "-" and no "--"`;
  if (existing.includes(name)) return `"${name}" is already a service`;
  if (RESERVED_NAMES.has(name)) return `"${name}" is reserved`;
  return undefined;
}

/** `stock-level` → `StockLevel`. */
export function pascalCase(name: string): string {
  return name
    .split('-')
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');
}

/** `stock-level` → `STOCK_LEVEL`. */
export function constantCase(name: string): string {
  return name.toUpperCase().replaceAll('-', '_');
}
