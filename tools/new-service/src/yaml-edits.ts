/**
 * The generator's two line edits to YAML files (docker-compose.yml, the kustomization):
 * each finds its place by structure (a top-level key, the last entry of a list) and fails
 * loudly when the file is not laid out as expected. A YAML library would re-print the
 * files' anchors and comments; these keep every other line as it is.
 */
import { SourceEditError } from './source-edits.js';

const lines = (text: string) => text.split('\n');

/** The index of the last line of `all` matching `pattern` within [from, to). */
function lastLineMatching(all: string[], pattern: RegExp, from = 0, to = all.length): number {
  for (let i = to - 1; i >= from; i--) if (pattern.test(all[i]!)) return i;
  return -1;
}

/**
 * docker-compose.yml: the service's block before the top-level `networks:`, its AppRole
 * credentials volume mounted into vault-init (which writes it) and declared at the end.
 */
export function addComposeService(
  source: string,
  service: string,
  block: string,
  credentialsMount: string,
): string {
  const all = lines(source);
  if (all.some((line) => line === `  ${service}:`))
    throw new SourceEditError(`docker-compose.yml already has a service ${service}`);
  const networks = all.indexOf('networks:');
  const services = all.indexOf('services:');
  if (services === -1 || networks === -1 || networks < services)
    throw new SourceEditError('docker-compose.yml has no top-level services: then networks:');
  const vaultInit = all.indexOf('  vault-init:', services);
  const vaultInitEnd = all.findIndex((line, i) => i > vaultInit && /^ {2}[a-z0-9-]+:$/.test(line));
  const mount = lastLineMatching(
    all,
    /^ {6}- [a-z0-9-]+-vault-credentials:/,
    vaultInit,
    vaultInitEnd,
  );
  if (vaultInit === -1 || mount === -1)
    throw new SourceEditError('docker-compose.yml: vault-init mounts no credentials volume');
  const declared = lastLineMatching(all, /^ {2}[a-z0-9-]+-vault-credentials:$/, networks);
  if (declared === -1)
    throw new SourceEditError('docker-compose.yml declares no credentials volume');
  const result = [...all];
  result.splice(declared + 1, 0, `  ${service}-vault-credentials:`);
  result.splice(networks, 0, ...lines(block.replace(/\n+$/, '')), '');
  result.splice(mount + 1, 0, `      - ${credentialsMount}`);
  return result.join('\n');
}

/** infra/k8s/kustomization.yaml: one more resource file, after the last one. */
export function addKustomizationResource(source: string, file: string): string {
  const all = lines(source);
  if (all.includes(`  - ${file}`)) throw new SourceEditError(`kustomization already lists ${file}`);
  const last = lastLineMatching(all, /^ {2}- [a-z0-9./-]+\.ya?ml$/);
  if (last === -1) throw new SourceEditError('kustomization.yaml lists no resources');
  all.splice(last + 1, 0, `  - ${file}`);
  return all.join('\n');
}
