import { isIP } from 'node:net';
import { randomUUID } from 'node:crypto';
import { formatDuration } from '../durations.js';
import {
  defaultKeyBits,
  generateRoot,
  issueLeaf,
  keyBitsError,
  type PkiKeyType,
  type StoredIssuer,
} from '../pki-certificates.js';
import { dict, type Dict, type PkiEngine, type PkiRole } from '../store.js';
import { badRequest, notFound, ok, VaultError, type VaultReply } from '../vault-response.js';
import {
  booleanField,
  commaListField,
  durationField,
  optionalString,
  refuseUnsupportedRestrictions,
} from './fields.js';
import type { DevServerContext, Route } from './route.js';

/**
 * Vault's PKI secrets engine, for what Citadel uses: one internally generated root per mount,
 * roles, and `issue/<role>`, checked as hashicorp/vault's builtin/logical/pki checks them
 * (cert_util.go: ValidateNames, ValidateURISAN, GetCertificateNotAfter).
 */

/** Vault's system default and maximum lease TTL (768h), when the mount sets neither. */
export const SYSTEM_MAX_LEASE_TTL_S = 768 * 3600;
const SYSTEM_DEFAULT_LEASE_TTL_S = 768 * 3600;

/** Vault's `hostnameRegex` (cert_util.go). */
const HOSTNAME =
  /^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])\.?$/;

/** Vault's role `not_before_duration` default: leaves are back-dated 30 s for clock skew. */
const NOT_BEFORE_S = 30;

/** Restrictions Vault has and this server does not; a role naming one is refused. */
const UNSUPPORTED_ROLE_FIELDS = [
  'allowed_domains_template',
  'allowed_uri_sans_template',
  'allow_glob_domains',
  'allow_token_display_name',
  'allowed_other_sans',
  'allowed_serial_numbers',
  'allowed_user_ids',
  'use_csr_common_name',
  'use_csr_sans',
  'policy_identifiers',
  'ext_key_usage',
  'ext_key_usage_oids',
  'not_after',
];

/** A Go `glob.Glob` (ryanuber/go-glob): `*` matches any run of characters, `/` included. */
export function globMatch(pattern: string, subject: string): boolean {
  if (pattern === '*') return true;
  const parts = pattern.split('*');
  if (parts.length === 1) return subject === pattern;
  if (!subject.startsWith(parts[0]!)) return false;
  let offset = parts[0]!.length;
  for (const part of parts.slice(1, -1)) {
    const found = subject.indexOf(part, offset);
    if (found === -1) return false;
    offset = found + part.length;
  }
  const last = parts.at(-1)!;
  return subject.length - offset >= last.length && subject.endsWith(last);
}

function keyTypeField(body: Dict<unknown>, fallback: PkiKeyType): PkiKeyType {
  const value = optionalString(body, 'key_type') ?? fallback;
  if (value !== 'ec' && value !== 'rsa') {
    throw badRequest(`vault-dev-server issues only "ec" and "rsa" keys, not "${value}"`);
  }
  return value;
}

function keyBitsField(body: Dict<unknown>, type: PkiKeyType): number {
  const raw = body['key_bits'];
  const bits = raw === undefined || raw === null || raw === '' ? 0 : Number(raw);
  if (!Number.isInteger(bits)) throw badRequest('"key_bits" must be an integer');
  const resolved = bits === 0 ? defaultKeyBits(type) : bits;
  const problem = keyBitsError(type, resolved);
  if (problem) throw badRequest(problem);
  return resolved;
}

function maxLeaseTtl(engine: PkiEngine): number {
  return engine.maxLeaseTtl || SYSTEM_MAX_LEASE_TTL_S;
}

function roleView(role: PkiRole) {
  return {
    allow_any_name: role.allowAnyName,
    allow_bare_domains: role.allowBareDomains,
    allow_ip_sans: role.allowIpSans,
    allow_localhost: role.allowLocalhost,
    allow_subdomains: role.allowSubdomains,
    allowed_domains: role.allowedDomains,
    allowed_uri_sans: role.allowedUriSans,
    client_flag: role.clientFlag,
    enforce_hostnames: role.enforceHostnames,
    key_bits: role.keyBits,
    key_type: role.keyType,
    max_ttl: role.maxTtl,
    no_store: role.noStore,
    not_before_duration: NOT_BEFORE_S,
    require_cn: role.requireCn,
    server_flag: role.serverFlag,
    ttl: role.ttl,
  };
}

function role(engine: PkiEngine, name: string): Route {
  return {
    exists: () => engine.roles[name] !== undefined,
    read: () => {
      const stored = engine.roles[name];
      if (!stored) throw notFound();
      return ok({ data: roleView(stored) });
    },
    // Vault's role write replaces the role: every field not given takes its default.
    write: ({ body }) => {
      refuseUnsupportedRestrictions(body, UNSUPPORTED_ROLE_FIELDS);
      const keyType = keyTypeField(body, 'rsa');
      const entry: PkiRole = {
        ttl: durationField(body, 'ttl') ?? 0,
        maxTtl: durationField(body, 'max_ttl') ?? 0,
        allowLocalhost: booleanField(body, 'allow_localhost') ?? true,
        allowedDomains: commaListField(body, 'allowed_domains') ?? [],
        allowBareDomains: booleanField(body, 'allow_bare_domains') ?? false,
        allowSubdomains: booleanField(body, 'allow_subdomains') ?? false,
        allowAnyName: booleanField(body, 'allow_any_name') ?? false,
        enforceHostnames: booleanField(body, 'enforce_hostnames') ?? true,
        allowIpSans: booleanField(body, 'allow_ip_sans') ?? true,
        allowedUriSans: commaListField(body, 'allowed_uri_sans') ?? [],
        serverFlag: booleanField(body, 'server_flag') ?? true,
        clientFlag: booleanField(body, 'client_flag') ?? true,
        keyType,
        keyBits: keyBitsField(body, keyType),
        requireCn: booleanField(body, 'require_cn') ?? true,
        noStore: booleanField(body, 'no_store') ?? false,
      };
      if (entry.maxTtl > 0 && entry.ttl > entry.maxTtl) {
        throw badRequest('"ttl" value must be less than "max_ttl" value');
      }
      engine.roles[name] = entry;
      return ok({ data: roleView(entry) });
    },
    delete: () => {
      delete engine.roles[name];
      return { status: 204 };
    },
  };
}

/**
 * Vault's ValidateNames for one name: `undefined` when the role allows it. Hostname rules
 * (enforce_hostnames) hold even under allow_any_name, as in Vault.
 */
function nameRefused(entry: PkiRole, name: string): boolean {
  if (entry.enforceHostnames && !HOSTNAME.test(name)) return true;
  if (entry.allowAnyName) return false;
  if (entry.allowLocalhost) {
    if (name === 'localhost' || name === 'localdomain') return false;
    if (entry.allowSubdomains && (name.endsWith('.localhost') || name.endsWith('.localdomain'))) {
      return false;
    }
  }
  for (const domain of entry.allowedDomains) {
    if (entry.allowBareDomains && name.toLowerCase() === domain.toLowerCase()) return false;
    if (entry.allowSubdomains && name.endsWith(`.${domain}`)) return false;
  }
  return true;
}

/** GetCertificateNotAfter: the request's TTL, else the role's, else the mount's, capped. */
function leafTtl(engine: PkiEngine, entry: PkiRole, requested: number) {
  const warnings: string[] = [];
  let ttl = requested || entry.ttl;
  const max = entry.maxTtl || maxLeaseTtl(engine);
  if (ttl === 0) ttl = SYSTEM_DEFAULT_LEASE_TTL_S;
  if (ttl > max) {
    warnings.push(
      `TTL "${formatDuration(ttl)}" is longer than permitted maxTTL "${formatDuration(max)}", so maxTTL is being used`,
    );
    ttl = max;
  }
  return { ttl, warnings };
}

function issue(context: DevServerContext, engine: PkiEngine, roleName: string): Route {
  return {
    write: async ({ body }): Promise<VaultReply> => {
      const entry = engine.roles[roleName];
      if (!entry) throw badRequest(`unknown role: ${roleName}`);
      const issuer = engine.issuer;
      if (!issuer) {
        throw badRequest('no default issuer currently configured');
      }
      const commonName = optionalString(body, 'common_name') ?? '';
      if (commonName === '' && entry.requireCn) {
        throw badRequest(
          'the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false',
        );
      }
      const altNames = commaListField(body, 'alt_names') ?? [];
      if (altNames.some((name) => name.includes('@'))) {
        throw badRequest('vault-dev-server does not issue email address SANs');
      }
      const dnsNames = [
        ...new Set([...(HOSTNAME.test(commonName) ? [commonName] : []), ...altNames]),
      ];
      if (commonName !== '' && nameRefused(entry, commonName)) {
        throw badRequest(`common name ${commonName} not allowed by this role`);
      }
      const badName = dnsNames.find((name) => nameRefused(entry, name));
      if (badName) throw badRequest(`subject alternate name ${badName} not allowed by this role`);

      const ipAddresses = commaListField(body, 'ip_sans') ?? [];
      if (ipAddresses.length > 0 && !entry.allowIpSans) {
        throw badRequest(
          `IP Subject Alternative Names are not allowed in this role, but was provided [${ipAddresses.join(' ')}]`,
        );
      }
      const badIp = ipAddresses.find((ip) => isIP(ip) === 0);
      if (badIp) throw badRequest(`the value "${badIp}" is not a valid IP address`);

      const uris = commaListField(body, 'uri_sans') ?? [];
      if (uris.length > 0 && entry.allowedUriSans.length === 0) {
        throw badRequest(
          'URI Subject Alternative Names are not allowed in this role, but were provided via the API',
        );
      }
      for (const uri of uris) {
        if (!entry.allowedUriSans.some((allowed) => globMatch(allowed, uri))) {
          throw badRequest(
            'URI Subject Alternative Names were provided via the API which are not valid for this role',
          );
        }
        if (!URL.canParse(uri)) {
          throw badRequest(`the provided URI Subject Alternative Name "${uri}" is not a valid URI`);
        }
      }

      const { ttl, warnings } = leafTtl(engine, entry, durationField(body, 'ttl') ?? 0);
      const now = context.now();
      const notAfter = now + ttl * 1000;
      if (notAfter > issuer.notAfter) {
        throw badRequest(
          `cannot satisfy request, as TTL would result in notAfter of ${new Date(notAfter).toISOString()} that is beyond the expiration of the CA certificate at ${new Date(issuer.notAfter).toISOString()}`,
        );
      }
      const leaf = await issueLeaf(issuer, {
        commonName,
        dnsNames,
        ipAddresses,
        uris,
        keyType: entry.keyType,
        keyBits: entry.keyBits,
        serverFlag: entry.serverFlag,
        clientFlag: entry.clientFlag,
        notBefore: now - NOT_BEFORE_S * 1000,
        notAfter,
      });
      const expiration = Math.floor(notAfter / 1000);
      if (!entry.noStore) {
        engine.certs[leaf.serialNumber] = { certificate: leaf.certificate, expiration };
      }
      return ok({
        data: {
          certificate: leaf.certificate,
          issuing_ca: issuer.certificate,
          ca_chain: [issuer.certificate],
          private_key: leaf.privateKey,
          private_key_type: entry.keyType,
          serial_number: leaf.serialNumber,
          expiration,
        },
        warnings,
      });
    },
  };
}

/**
 * `root/generate/internal`: the key is made and kept here; only the certificate leaves. The
 * root's TTL is capped by the mount's max lease TTL, with Vault's warning.
 */
function generateInternalRoot(context: DevServerContext, engine: PkiEngine): Route {
  return {
    write: async ({ body }): Promise<VaultReply> => {
      if (engine.issuer) {
        throw badRequest(
          'vault-dev-server keeps one issuer per PKI mount, and this mount has one; read it from ca/pem',
        );
      }
      const commonName = optionalString(body, 'common_name') ?? '';
      if (commonName === '') {
        throw badRequest(
          'the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false',
        );
      }
      const keyType = keyTypeField(body, 'rsa');
      const keyBits = keyBitsField(body, keyType);
      const max = maxLeaseTtl(engine);
      let ttl = durationField(body, 'ttl') || max;
      const warnings: string[] = [];
      if (ttl > max) {
        warnings.push(
          `TTL "${formatDuration(ttl)}" is longer than permitted maxTTL "${formatDuration(max)}", so maxTTL is being used`,
        );
        ttl = max;
      }
      const issuer: StoredIssuer & { id: string } = {
        id: randomUUID(),
        ...(await generateRoot({ commonName, keyType, keyBits, now: context.now(), ttlS: ttl })),
      };
      // A concurrent request may have made one while this key was being generated.
      if (engine.issuer) throw badRequest('this mount has an issuer already');
      engine.issuer = issuer;
      context.log({
        level: 'info',
        event: 'pki.root-generated',
        msg: 'PKI root generated internally',
        serial: issuer.serialNumber,
      });
      return ok({
        data: {
          certificate: issuer.certificate,
          issuing_ca: issuer.certificate,
          serial_number: issuer.serialNumber,
          expiration: Math.floor(issuer.notAfter / 1000),
          issuer_id: issuer.id,
          issuer_name: '',
          key_id: issuer.id,
          key_name: '',
        },
        warnings,
      });
    },
  };
}

function caPem(engine: PkiEngine): Route {
  return {
    unauthenticated: true,
    read: () => {
      if (!engine.issuer) throw new VaultError(400, ['no default issuer currently configured']);
      return {
        status: 200,
        contentType: 'application/pem-certificate-chain',
        body: engine.issuer.certificate,
      };
    },
  };
}

function certCa(engine: PkiEngine): Route {
  return {
    unauthenticated: true,
    read: () => {
      if (!engine.issuer) throw new VaultError(400, ['no default issuer currently configured']);
      return ok({
        data: { certificate: engine.issuer.certificate, revocation_time: 0 },
      });
    },
  };
}

/** Vault answers a LIST with no keys with 404. */
function issuers(engine: PkiEngine): Route {
  return {
    unauthenticated: true,
    list: () => {
      if (!engine.issuer) throw notFound();
      const id = engine.issuer.id;
      return ok({
        data: { keys: [id], key_info: { [id]: { issuer_name: '', is_default: true } } },
      });
    },
  };
}

export function newPkiEngine(fields: {
  accessor: string;
  uuid: string;
  description: string;
  maxLeaseTtl: number;
}): PkiEngine {
  return { type: 'pki', ...fields, issuer: null, roles: dict(), certs: dict() };
}

/** The PKI engine's paths under its mount. */
export function pkiRoute(
  context: DevServerContext,
  engine: PkiEngine,
  rest: string,
): Route | undefined {
  if (rest === 'root/generate/internal') return generateInternalRoot(context, engine);
  if (rest === 'ca/pem') return caPem(engine);
  if (rest === 'cert/ca') return certCa(engine);
  if (rest === 'issuers' || rest === 'issuers/') return issuers(engine);
  const roleName = /^roles\/([^/]+)$/.exec(rest)?.[1];
  if (roleName) return role(engine, roleName);
  const issueRole = /^issue\/([^/]+)$/.exec(rest)?.[1];
  if (issueRole) return issue(context, engine, issueRole);
  return undefined;
}
