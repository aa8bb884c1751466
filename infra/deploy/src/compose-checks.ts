import path from 'node:path';
import { pkiPaths, SERVICES } from '@citadel/config';
import { parse } from 'yaml';
import { DATABASE_CLIENTS, EDGE, VAULT_CLIENTS } from './topology.js';

/** The parts of a Compose file these checks read. */
export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, unknown> };
  user?: string | number;
  ports?: unknown[];
  environment?: Record<string, unknown> | string[];
  volumes?: (string | { type?: string; source?: string; target?: string; read_only?: boolean })[];
  networks?: string[] | Record<string, unknown>;
  network_mode?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  entrypoint?: string | string[];
  command?: string | string[];
  restart?: string;
  pull_policy?: string;
  depends_on?: string[] | Record<string, { condition?: string }>;
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

/** In docker-compose.yml, the one-shot step that plays the bootstrap's part. */
export const COMPOSE_BOOTSTRAP = 'vault-init';
/** The loop that keeps Vault unsealed (infra/docker/vault-unseal.mjs). */
export const COMPOSE_UNSEAL = 'vault-unseal';

/** Parses a Compose file, resolving its `<<: *anchor` merges as Compose does. */
export function parseCompose(text: string): ComposeFile {
  const file = parse(text, { merge: true }) as ComposeFile | null;
  if (!file?.services) throw new Error('not a Compose file: no services');
  return file;
}

const entries = <T>(record: Record<string, T>) => Object.entries(record);

/** The services that publish a port to the host. */
export function servicesWithPorts(compose: ComposeFile): string[] {
  return entries(compose.services)
    .filter(([, service]) => (service.ports ?? []).length > 0)
    .map(([name]) => name);
}

/** `root`, `0`, `0:0`, `root:wheel`…: a user that is the superuser. */
export function isRootUser(user: string | number): boolean {
  return /^(root|0+)(:.*)?$/.test(String(user).trim());
}

/**
 * Each service must run as a non-root user: `user:` in the Compose file, or, for a service
 * built here, the last USER of its Dockerfile (`imageUser` returns it).
 */
export function rootUserFindings(
  compose: ComposeFile,
  imageUser: (service: ComposeService) => string | undefined = () => undefined,
): string[] {
  return entries(compose.services).flatMap(([name, service]) => {
    const user = service.user ?? imageUser(service);
    if (user === undefined || String(user).trim() === '')
      return [`${name}: no user: it would run as the image's default, often root`];
    return isRootUser(user) ? [`${name}: runs as root (user: ${user})`] : [];
  });
}

/** Environment names whose value is a secret. `*_FILE` names hold a path to one: fine. */
const SECRET_NAME = /pass(word)?|secret|token|private.?key|api.?key|credential|unseal/i;
/**
 * Settings that must never appear at all: an admin token, Vault's dev mode, and the old
 * benchmark switch. The services no longer read that one (nothing turns their security
 * off), but a compose file that sets it expects an insecure mode: refused, in depth.
 */
const FORBIDDEN_NAMES = new Set([
  'VAULT_TOKEN',
  'VAULT_DEV_ROOT_TOKEN_ID',
  'CITADEL_INSECURE_BENCH_BASELINE',
]);
/** Secret values written out in full, whatever their key. */
const SECRET_VALUES: [string, RegExp][] = [
  ['a PEM private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['a Vault token', /\bhv[sbr]\.[A-Za-z0-9_-]{20,}/],
  ['a Citadel access token', /\bcit_at_[A-Za-z0-9_-]{40,}/],
  ['a URL with a password', /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i],
];

function environmentOf(service: ComposeService): [string, string][] {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return env.map((item) => {
      const [key = '', ...value] = String(item).split('=');
      return [key, value.join('=')];
    });
  }
  return entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]);
}

/** Secrets written into the Compose file: in environment values, build args, or anywhere. */
export function secretLiteralFindings(compose: ComposeFile, text = ''): string[] {
  const findings: string[] = [];
  for (const [name, service] of entries(compose.services)) {
    const buildArgs =
      typeof service.build === 'object' && service.build.args
        ? entries(service.build.args).map(([key, value]): [string, string] => [key, String(value)])
        : [];
    for (const [key, value] of [...environmentOf(service), ...buildArgs]) {
      if (FORBIDDEN_NAMES.has(key)) findings.push(`${name}: sets ${key}`);
      else if (key === 'POSTGRES_HOST_AUTH_METHOD' && value === 'trust')
        findings.push(`${name}: PostgreSQL accepts connections without a password`);
      else if (SECRET_NAME.test(key) && !key.endsWith('_FILE') && value !== '')
        findings.push(`${name}: ${key} holds a literal value (use a *_FILE path or Vault)`);
    }
    const argv = [service.entrypoint ?? [], service.command ?? []].flat().join(' ');
    if (/(^|\s)-dev(\s|=|$)|-dev-root-token/.test(argv))
      findings.push(`${name}: runs Vault in dev mode (in-memory, root token on the console)`);
  }
  for (const [what, pattern] of SECRET_VALUES) {
    if (pattern.test(text)) findings.push(`the file contains ${what}`);
  }
  return findings;
}

/**
 * Images whose upstream numbers a release with two parts (PostgreSQL since 10: 17.12 is
 * one exact release). Every other image's exact version has three (8.10.2, 1.21.4).
 */
const TWO_PART_VERSIONS = new Set(['postgres']);

/**
 * Third-party images must be pinned to an exact release (`redis:8.10.2-alpine`, ideally
 * with `@sha256:`), never `latest`, untagged, or a moving tag such as `17` or `8-alpine`
 * that silently becomes another release. An image built here from source is pinned by the
 * source; it may carry a local tag, but not `latest`.
 */
export function unpinnedImageFindings(compose: ComposeFile): string[] {
  return entries(compose.services).flatMap(([name, service]) => {
    const image = service.image;
    if (!image) return service.build ? [] : [`${name}: no image`];
    if (image.includes('@sha256:')) return [];
    const slash = image.lastIndexOf('/');
    const colon = image.lastIndexOf(':');
    const tag = colon > slash ? image.slice(colon + 1) : undefined;
    if (tag === 'latest') return [`${name}: ${image} is not pinned (latest)`];
    if (service.build || builtHere(compose, image)) return [];
    if (!tag) return [`${name}: ${image} is not pinned (no tag)`];
    const repository = image.slice(0, colon).replace(/^(docker\.io\/)?(library\/)?/, '');
    const parts = TWO_PART_VERSIONS.has(repository) ? 2 : 3;
    const exact = new RegExp(`^v?\\d+(\\.\\d+){${parts - 1}}(-[A-Za-z0-9.]+)?$`);
    if (!exact.test(tag))
      return [`${name}: ${image} is not pinned to an exact version (${parts} parts)`];
    return [];
  });
}

/** Whether some service of the file builds `image` from source. */
function builtHere(compose: ComposeFile, image: string): boolean {
  return Object.values(compose.services).some(
    (service) => service.build && service.image === image,
  );
}

function dependenciesOf(service: ComposeService): Record<string, { condition?: string }> {
  const dependsOn = service.depends_on ?? {};
  return Array.isArray(dependsOn)
    ? Object.fromEntries(dependsOn.map((name) => [name, {}]))
    : dependsOn;
}

/**
 * One image, built once, by one service, and never pulled in its stead:
 *   - no two services build the same image (Compose builds them at once, and with its bake
 *     builder the second export fails: `image ... already exists`);
 *   - a service that builds never pulls first (`pull_policy: build`): without it Compose
 *     tries a registry first, and anyone's `citadel/init:local` there would run instead;
 *   - a service that runs an image another service builds never pulls it (`pull_policy:
 *     never`) and depends on the builder, so the image exists before it starts.
 */
export function imageBuildFindings(compose: ComposeFile): string[] {
  const findings: string[] = [];
  const builders = new Map<string, string[]>();
  for (const [name, service] of entries(compose.services)) {
    if (!service.build) continue;
    const key = service.image ?? JSON.stringify(service.build);
    builders.set(key, [...(builders.get(key) ?? []), name]);
    if (service.pull_policy !== 'build')
      findings.push(
        `${name}: builds ${service.image ?? 'its image'} but may pull it (pull_policy: build)`,
      );
  }
  for (const [image, names] of builders)
    if (names.length > 1) findings.push(`${names.join(', ')}: build the same image ${image}`);
  for (const [name, service] of entries(compose.services)) {
    if (service.build || !service.image) continue;
    const builder = builders.get(service.image)?.[0];
    if (!builder) continue;
    if (service.pull_policy !== 'never')
      findings.push(
        `${name}: runs ${service.image}, built here, but may pull it (pull_policy: never)`,
      );
    if (!dependenciesOf(service)[builder])
      findings.push(
        `${name}: runs ${service.image} but does not depend on ${builder}, which builds it`,
      );
  }
  return findings;
}

/** The one-shot steps: the services another one waits on to complete. */
export function oneShotServices(compose: ComposeFile): string[] {
  const oneShots = new Set<string>();
  for (const service of Object.values(compose.services))
    for (const [dependency, { condition }] of entries(dependenciesOf(service)))
      if (condition === 'service_completed_successfully') oneShots.add(dependency);
  return [...oneShots];
}

/**
 * After a reboot or a daemon restart, the daemon restarts containers by their restart
 * policy alone (depends_on is not consulted): every long-running service must restart
 * unless stopped, and a one-shot step must not restart (it would run again and again).
 */
export function restartFindings(compose: ComposeFile): string[] {
  const oneShots = oneShotServices(compose);
  return entries(compose.services).flatMap(([name, service]) => {
    const restart = service.restart ?? 'no';
    if (oneShots.includes(name))
      return restart === 'no' ? [] : [`${name}: a one-shot step restarts (${restart})`];
    return restart === 'unless-stopped'
      ? []
      : [`${name}: does not restart unless stopped (restart: ${restart})`];
  });
}

/**
 * The volumes that hold the development CA's private key: those mounted over the `pki/`
 * directory of some service's CITADEL_HOME (where @citadel/pki keeps `ca-key.pem`).
 */
export function caKeyVolumes(compose: ComposeFile): string[] {
  const volumes = new Set<string>();
  for (const service of Object.values(compose.services)) {
    const home = environmentOf(service).find(([key]) => key === 'CITADEL_HOME')?.[1];
    if (!home) continue;
    const caKey = pkiPaths(home).caKey;
    for (const mount of volumeMounts(compose, service))
      if (caKey.startsWith(`${mount.target.replace(/\/+$/, '')}${path.sep}`))
        volumes.add(mount.name);
  }
  return [...volumes];
}

/**
 * The volumes an init step writes a CA's private key to, found by running it: `written`
 * maps each container directory to the directory on this machine where the step's
 * output for it landed (the step ran with CITADEL_CONTAINER_ROOT there), and `strayKeys`
 * says which private keys under a directory are a CA's (or no certificate's). A volume is
 * reported when the step mounts it over such a directory.
 */
export function volumesWrittenWithCaKeys(
  compose: ComposeFile,
  step: string,
  written: (containerDir: string) => string,
  strayKeys: (dir: string) => string[],
): string[] {
  const service = compose.services[step];
  if (!service) return [];
  return volumeMounts(compose, service)
    .filter((mount) => strayKeys(written(mount.target)).length > 0)
    .map((mount) => mount.name);
}

/**
 * Whoever holds a CA's key can mint a certificate for any identity it vouches for: no
 * long-running container may mount a volume that holds one (one-shot steps only). Besides
 * the volumes where @citadel/pki would keep the development CA's key (caKeyVolumes),
 * `holding` names the volumes found holding one (volumesWrittenWithCaKeys).
 */
export function caKeyFindings(compose: ComposeFile, holding: readonly string[] = []): string[] {
  const oneShots = oneShotServices(compose);
  holding = [...new Set([...caKeyVolumes(compose), ...holding])];
  return entries(compose.services).flatMap(([name, service]) =>
    oneShots.includes(name)
      ? []
      : namedVolumesOf(compose, service)
          .filter((volume) => holding.includes(volume.name))
          .map((volume) => `${name}: mounts ${volume.name}, which holds the CA's private key`),
  );
}

/**
 * The volumes that carry a secret, and the only services that may mount each: the one
 * that writes it and the ones it is for.
 */
export const SECRET_VOLUME_READERS: Readonly<Record<string, readonly string[]>> = {
  pki: ['secrets-init', COMPOSE_BOOTSTRAP],
  'vault-tls': ['secrets-init', 'vault'],
  'postgres-secrets': ['secrets-init', 'postgres', COMPOSE_BOOTSTRAP],
  'redis-secrets': ['secrets-init', 'redis', EDGE],
  'vault-admin': [COMPOSE_BOOTSTRAP],
  'vault-unseal-key': [COMPOSE_BOOTSTRAP, COMPOSE_UNSEAL],
};

export function secretVolumeFindings(
  compose: ComposeFile,
  readers: Readonly<Record<string, readonly string[]>> = SECRET_VOLUME_READERS,
): string[] {
  return entries(readers).flatMap(([volume, expected]) => {
    const mounting = entries(compose.services)
      .filter(([, service]) => namedVolumesOf(compose, service).some((v) => v.name === volume))
      .map(([name]) => name)
      .sort();
    const want = [...expected].sort();
    return JSON.stringify(mounting) === JSON.stringify(want)
      ? []
      : [`${volume}: mounted by ${mounting.join(', ') || 'nobody'}; expected ${want.join(', ')}`];
  });
}

/** Every container: read-only root filesystem, no capabilities, no privilege escalation. */
export function hardeningFindings(compose: ComposeFile): string[] {
  return entries(compose.services).flatMap(([name, service]) => [
    ...(service.read_only === true ? [] : [`${name}: root filesystem is writable`]),
    ...((service.cap_drop ?? []).includes('ALL')
      ? []
      : [`${name}: does not drop all capabilities`]),
    ...((service.security_opt ?? []).some((opt) => /^no-new-privileges(:true)?$/.test(opt))
      ? []
      : [`${name}: may gain privileges (no-new-privileges is not set)`]),
  ]);
}

/** The named volumes a service mounts: where, and whether read-only. */
export function volumeMounts(
  compose: ComposeFile,
  service: ComposeService,
): { name: string; target: string; readOnly: boolean }[] {
  const declared = new Set(Object.keys(compose.volumes ?? {}));
  return (service.volumes ?? []).flatMap((volume) => {
    if (typeof volume === 'string') {
      const [source = '', target = '', mode = ''] = volume.split(':');
      return declared.has(source)
        ? [{ name: source, target, readOnly: mode.split(',').includes('ro') }]
        : [];
    }
    return volume.source && declared.has(volume.source)
      ? [{ name: volume.source, target: volume.target ?? '', readOnly: volume.read_only === true }]
      : [];
  });
}

/** The named volumes a service mounts, with whether each is read-only. */
export function namedVolumesOf(
  compose: ComposeFile,
  service: ComposeService,
): { name: string; readOnly: boolean }[] {
  return volumeMounts(compose, service).map(({ name, readOnly }) => ({ name, readOnly }));
}

/**
 * What a service mounts besides its credentials and the CA: the gateway, Redis's password
 * (its replicas share rate limits and revocations there).
 */
export const EXTRA_SERVICE_VOLUMES: Readonly<Record<string, readonly string[]>> = {
  [EDGE]: ['redis-secrets'],
};

/**
 * Each service mounts only read-only volumes: its own AppRole credentials
 * (`<service>-vault-credentials`), the public CA certificate, and what
 * EXTRA_SERVICE_VOLUMES grants it. A credentials volume is shared with the step that
 * writes it, and with nothing else.
 */
export function credentialVolumeFindings(
  compose: ComposeFile,
  extra: Readonly<Record<string, readonly string[]>> = EXTRA_SERVICE_VOLUMES,
): string[] {
  const findings: string[] = [];
  for (const service of SERVICES) {
    const definition = compose.services[service];
    if (!definition) {
      findings.push(`${service}: missing`);
      continue;
    }
    const own = `${service}-vault-credentials`;
    const mounted = namedVolumesOf(compose, definition);
    const names = mounted.map((volume) => volume.name).sort();
    const allowed = ['ca', own, ...(extra[service] ?? [])].sort();
    if (JSON.stringify(names) !== JSON.stringify(allowed))
      findings.push(`${service}: mounts ${names.join(', ')}; expected only ${allowed.join(', ')}`);
    for (const volume of mounted.filter((volume) => !volume.readOnly))
      findings.push(`${service}: mounts ${volume.name} writable`);
    const sharers = entries(compose.services)
      .filter(([, other]) => namedVolumesOf(compose, other).some((v) => v.name === own))
      .map(([name]) => name)
      .sort();
    if (JSON.stringify(sharers) !== JSON.stringify([service, COMPOSE_BOOTSTRAP].sort()))
      findings.push(`${own}: mounted by ${sharers.join(', ')}; expected ${service} and vault-init`);
  }
  return findings;
}

function networksOf(service: ComposeService): string[] {
  const networks = service.networks ?? [];
  return Array.isArray(networks) ? networks : Object.keys(networks);
}

/**
 * Only what needs Vault joins its network (and the unseal loop), only what owns data joins
 * PostgreSQL's, only the gateway joins Redis's, only the four services join the gRPC mesh;
 * every network but the gateway's edge is internal.
 */
export function networkFindings(
  compose: ComposeFile,
  expected: Record<string, readonly string[]> = {
    secrets: ['vault', COMPOSE_UNSEAL, ...VAULT_CLIENTS],
    // Vault too: its database engine sets the services' passwords.
    data: ['postgres', 'vault', ...DATABASE_CLIENTS],
    mesh: SERVICES,
    edge: [EDGE],
    cache: ['redis', EDGE],
  },
): string[] {
  const findings: string[] = [];
  const asCompose = (name: string) => (name === 'vault-bootstrap' ? COMPOSE_BOOTSTRAP : name);
  for (const [network, members] of entries(expected)) {
    const want = members.map(asCompose).sort();
    const have = entries(compose.services)
      .filter(([, service]) => networksOf(service).includes(network))
      .map(([name]) => name)
      .sort();
    if (JSON.stringify(have) !== JSON.stringify(want))
      findings.push(
        `network ${network}: joined by ${have.join(', ')}; expected ${want.join(', ')}`,
      );
    const internal = compose.networks?.[network]?.internal === true;
    if (network !== 'edge' && !internal) findings.push(`network ${network}: not internal`);
  }
  return findings;
}
