import { SERVICES } from '@citadel/config';
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
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

/** In docker-compose.yml, the one-shot step that plays the bootstrap's part. */
export const COMPOSE_BOOTSTRAP = 'vault-init';

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
 * Third-party images must be pinned to a version (`name:1.2.3`, ideally `@sha256:`), never
 * `latest` or untagged. An image built here from source is pinned by the source; it may
 * carry a local tag, but not `latest`.
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
    if (service.build) return [];
    if (!tag) return [`${name}: ${image} is not pinned (no tag)`];
    if (!/\d/.test(tag)) return [`${name}: ${image} is not pinned to a version`];
    return [];
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

/** The named volumes a service mounts, with whether each is read-only. */
export function namedVolumesOf(
  compose: ComposeFile,
  service: ComposeService,
): { name: string; readOnly: boolean }[] {
  const declared = new Set(Object.keys(compose.volumes ?? {}));
  return (service.volumes ?? []).flatMap((volume) => {
    if (typeof volume === 'string') {
      const [source = '', , mode = ''] = volume.split(':');
      return declared.has(source)
        ? [{ name: source, readOnly: mode.split(',').includes('ro') }]
        : [];
    }
    return volume.source && declared.has(volume.source)
      ? [{ name: volume.source, readOnly: volume.read_only === true }]
      : [];
  });
}

/**
 * Each service mounts exactly two volumes, both read-only: its own AppRole credentials
 * (`<service>-vault-credentials`) and the public CA certificate. A credentials volume is
 * shared with the step that writes it, and with nothing else.
 */
export function credentialVolumeFindings(compose: ComposeFile): string[] {
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
    if (JSON.stringify(names) !== JSON.stringify(['ca', own].sort()))
      findings.push(`${service}: mounts ${names.join(', ')}; expected only ${own} and ca`);
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
 * Only what needs Vault joins its network, only what owns data joins PostgreSQL's, only the
 * four services join the gRPC mesh; every network but the gateway's edge is internal.
 */
export function networkFindings(
  compose: ComposeFile,
  expected: Record<string, readonly string[]> = {
    secrets: ['vault', ...VAULT_CLIENTS],
    data: ['postgres', ...DATABASE_CLIENTS],
    mesh: SERVICES,
    edge: [EDGE],
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
