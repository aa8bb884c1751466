import { randomBytes, randomUUID } from 'node:crypto';
import { PolicyParseError } from '../hcl-policy.js';
import { dict, type AuthMethod, type Dict, type SecretEngine } from '../store.js';
import { badRequest, envelope, noContent, notFound, type VaultReply } from '../vault-response.js';
import { auditRoute } from './audit.routes.js';
import { durationField, optionalString } from './fields.js';
import { newPkiEngine } from './pki.routes.js';
import { newDatabaseEngine } from './database.routes.js';
import { initRoute } from './init.routes.js';
import type { DevServerContext, Route } from './route.js';

/** Reported by `sys/health`; the suffix tells any client it is not talking to a real Vault. */
export const DEV_SERVER_VERSION = '0.1.0-citadel-dev';

/** Prefixes Vault reserves for itself; no secrets engine may be mounted over them. */
const RESERVED_MOUNTS = ['sys/', 'auth/', 'cubbyhole/', 'identity/'];

const MOUNT_CONFIG = { default_lease_ttl: 0, force_no_cache: false, max_lease_ttl: 0 };

/** `secret`, `/secret/`, `secret/` → `secret/`: Vault's canonical mount path. */
function mountPath(raw: string): string {
  const trimmed = raw.replace(/^\/+|\/+$/g, '');
  if (trimmed === '' || trimmed.split('/').some((segment) => segment === '' || segment === '..')) {
    throw badRequest(`invalid mount path "${raw}"`);
  }
  return `${trimmed}/`;
}

/** Two mounts conflict when one path is a prefix of the other, as in Vault's router. */
function conflict(path: string, existing: readonly string[]): string | undefined {
  return existing.find((other) => other.startsWith(path) || path.startsWith(other));
}

/** Vault answers `sys/mounts` and `sys/auth` with the table both at the top level and in data. */
function table(entries: Record<string, unknown>): VaultReply {
  return { status: 200, body: { ...entries, ...envelope({ data: entries }) } };
}

function accessor(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/**
 * Vault's `sys/seal-status` body, for a one-share Shamir seal. Uninitialised, Vault has no
 * seal configuration yet and reports `t` and `n` as 0 (vault/core.go `GetSealStatus`).
 */
function sealStatus(context: DevServerContext) {
  const shares = context.seal.initialized ? 1 : 0;
  return {
    type: 'shamir',
    initialized: context.seal.initialized,
    sealed: context.seal.sealed,
    t: shares,
    n: shares,
    progress: 0,
    nonce: '',
    version: DEV_SERVER_VERSION,
    migration: false,
    recovery_seal: false,
    storage_type: 'file',
  };
}

/** Vault's default `sys/health` codes: 501 uninitialised, 503 sealed, 200 active. */
function healthStatus(context: DevServerContext): number {
  if (!context.seal.initialized) return 501;
  return context.seal.sealed ? 503 : 200;
}

function health(context: DevServerContext): Route {
  return {
    unauthenticated: true,
    // The body is the same whatever the code: load balancers and health checks read the
    // status, clients the body.
    read: () => ({
      status: healthStatus(context),
      body: {
        initialized: context.seal.initialized,
        sealed: context.seal.sealed,
        standby: false,
        performance_standby: false,
        replication_performance_mode: 'disabled',
        replication_dr_mode: 'disabled',
        server_time_utc: Math.floor(context.now() / 1000),
        version: DEV_SERVER_VERSION,
        cluster_name: 'citadel-dev',
      },
    }),
  };
}

function sealStatusRoute(context: DevServerContext): Route {
  return { unauthenticated: true, read: () => ({ status: 200, body: sealStatus(context) }) };
}

/** Vault takes an unseal key as hex or base64. */
function decodeKey(raw: string): Buffer {
  if (/^(?:[0-9a-f]{2})+$/i.test(raw)) return Buffer.from(raw, 'hex');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(raw) && raw.length % 4 === 0) return Buffer.from(raw, 'base64');
  throw badRequest("'key' must be a valid hex or base64 string");
}

/**
 * `sys/unseal`: unauthenticated, as in Vault (a sealed Vault has no tokens to check). A
 * wrong key is a 400 with the barrier's words; an unsealed Vault reports its status; an
 * uninitialised one has no key to compare with (vault/core.go `ErrNotInit`).
 */
function unseal(context: DevServerContext): Route {
  return {
    unauthenticated: true,
    write: ({ body }) => {
      if (body['reset'] === true || !context.seal.sealed) {
        return { status: 200, body: sealStatus(context) };
      }
      const key = optionalString(body, 'key');
      if (!key)
        throw badRequest("'key' must be specified in request body as JSON, or 'reset' set to true");
      const candidate = decodeKey(key);
      if (!context.seal.initialized) throw badRequest('Vault is not initialized');
      if (!context.seal.unseal(candidate)) {
        context.log({ level: 'warn', event: 'vault.unseal-refused', msg: 'wrong unseal key' });
        throw badRequest('cipher: message authentication failed');
      }
      context.log({ level: 'info', event: 'vault.unsealed', msg: 'unsealed' });
      return { status: 200, body: sealStatus(context) };
    },
  };
}

/**
 * `sys/seal`: root-protected (Vault's `SealWithRequest` demands root privileges); after it,
 * everything but the seal endpoints answers 503.
 */
function seal(context: DevServerContext): Route {
  return {
    sudo: true,
    write: () => {
      context.seal.seal();
      context.log({ level: 'warn', event: 'vault.sealed', msg: 'sealed by request' });
      return noContent;
    },
  };
}

function listMounts(context: DevServerContext): Route {
  return {
    read: () => {
      const entries: Record<string, unknown> = {
        'sys/': {
          accessor: 'system_00000000',
          config: MOUNT_CONFIG,
          description: 'system endpoints used for control, policy and debugging',
          local: false,
          options: null,
          seal_wrap: false,
          type: 'system',
        },
      };
      for (const [path, engine] of Object.entries(context.store.state.secretEngines)) {
        entries[path] = {
          accessor: engine.accessor,
          config:
            engine.type === 'pki'
              ? { ...MOUNT_CONFIG, max_lease_ttl: engine.maxLeaseTtl }
              : MOUNT_CONFIG,
          description: engine.description,
          local: false,
          options: engine.type === 'kv' ? { version: '2' } : null,
          seal_wrap: false,
          type: engine.type,
          uuid: engine.uuid,
        };
      }
      return table(entries);
    },
  };
}

/** The `config` object of a mount request (Vault's mount config: lease TTLs). */
function mountConfig(body: Dict<unknown>): Dict<unknown> {
  const config = body['config'];
  if (config === undefined || config === null) return dict();
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw badRequest('"config" must be an object');
  }
  return config as Dict<unknown>;
}

function mountSecretsEngine(context: DevServerContext, rawPath: string): Route {
  return {
    write: ({ body }) => {
      const path = mountPath(rawPath);
      const engines = context.store.state.secretEngines;
      const inUse = conflict(path, [...RESERVED_MOUNTS, ...Object.keys(engines)]);
      if (inUse) throw badRequest(`path is already in use at ${inUse}`);
      const type = optionalString(body, 'type');
      if (type === 'database') {
        engines[path] = newDatabaseEngine({
          accessor: accessor('database'),
          uuid: randomUUID(),
          description: optionalString(body, 'description') ?? '',
        });
        return noContent;
      }
      if (type === 'pki') {
        engines[path] = newPkiEngine({
          accessor: accessor('pki'),
          uuid: randomUUID(),
          description: optionalString(body, 'description') ?? '',
          maxLeaseTtl: durationField(mountConfig(body), 'max_lease_ttl') ?? 0,
        });
        return noContent;
      }
      const options = body['options'] as { version?: unknown } | undefined;
      const version = String(options?.version ?? '');
      if (!(type === 'kv-v2' || (type === 'kv' && version === '2'))) {
        throw badRequest(
          `vault-dev-server mounts only KV version 2 ({"type":"kv","options":{"version":"2"}}), pki and database, ` +
            `not type "${type ?? ''}"${type === 'kv' ? ` version "${version || '1'}"` : ''}`,
        );
      }
      const engine: SecretEngine = {
        type: 'kv',
        accessor: accessor('kv'),
        uuid: randomUUID(),
        description: optionalString(body, 'description') ?? '',
        secrets: dict(),
      };
      engines[path] = engine;
      return noContent;
    },
  };
}

function listAuthMethods(context: DevServerContext): Route {
  return {
    read: () => {
      const entries: Record<string, unknown> = {
        'token/': {
          accessor: 'auth_token_00000000',
          config: MOUNT_CONFIG,
          description: 'token based credentials',
          local: false,
          options: null,
          seal_wrap: false,
          type: 'token',
        },
      };
      for (const [path, method] of Object.entries(context.store.state.authMethods)) {
        entries[path] = {
          accessor: method.accessor,
          config: MOUNT_CONFIG,
          description: method.description,
          local: false,
          options: null,
          seal_wrap: false,
          type: method.type,
          uuid: method.uuid,
        };
      }
      return table(entries);
    },
  };
}

function enableAuthMethod(context: DevServerContext, rawPath: string): Route {
  return {
    sudo: true,
    write: ({ body }) => {
      const path = mountPath(rawPath);
      const methods = context.store.state.authMethods;
      const inUse = conflict(path, ['token/', ...Object.keys(methods)]);
      if (inUse) throw badRequest(`path is already in use at ${inUse}`);
      const type = optionalString(body, 'type');
      if (type !== 'approle' && type !== 'kubernetes') {
        throw badRequest(
          `vault-dev-server supports only the approle and kubernetes auth methods, not "${type}"`,
        );
      }
      const common = {
        accessor: accessor(`auth_${type}`),
        uuid: randomUUID(),
        description: optionalString(body, 'description') ?? '',
      };
      const method: AuthMethod =
        type === 'approle'
          ? { type, ...common, roles: dict() }
          : { type, ...common, config: null, roles: dict() };
      methods[path] = method;
      return noContent;
    },
  };
}

function listPolicies(context: DevServerContext): Route {
  return {
    list: () => {
      const keys = [...context.policies.names(), 'root'].sort();
      return { status: 200, body: { keys, ...envelope({ data: { keys } }) } };
    },
  };
}

function policy(context: DevServerContext, rawName: string): Route {
  // Vault stores policy names lower-cased.
  const name = rawName.toLowerCase();
  return {
    exists: () => name === 'root' || context.policies.text(name) !== undefined,
    read: () => {
      const text = name === 'root' ? '' : context.policies.text(name);
      if (text === undefined) throw notFound();
      const data = { name, policy: text };
      return { status: 200, body: { ...data, ...envelope({ data }) } };
    },
    write: ({ body }) => {
      if (name === 'root') throw badRequest('cannot update "root" policy');
      const text = optionalString(body, 'policy');
      if (!text) throw badRequest("'policy' parameter not supplied or empty");
      try {
        context.policies.write(name, text);
      } catch (error) {
        if (error instanceof PolicyParseError) throw badRequest(error.message);
        throw error;
      }
      return noContent;
    },
    delete: () => {
      if (name === 'root' || name === 'default') throw badRequest(`cannot delete "${name}" policy`);
      context.policies.delete(name);
      return noContent;
    },
  };
}

/**
 * The `sys/` endpoints Citadel uses. Root-protected (the token needs `sudo` on the path, on
 * top of the operation's capability) exactly where Vault's system backend lists the path in
 * `PathsSpecial.Root` or checks root privileges itself: `sys/auth/*`, `sys/audit`,
 * `sys/audit/*` and `sys/seal`. Mounts, their listings and ACL policies need no `sudo`.
 */
export function sysRoute(context: DevServerContext, path: string): Route | undefined {
  if (path === 'sys/init') return initRoute(context);
  if (path === 'sys/health') return health(context);
  if (path === 'sys/seal-status') return sealStatusRoute(context);
  if (path === 'sys/unseal') return unseal(context);
  if (path === 'sys/seal') return seal(context);
  if (path === 'sys/mounts') return listMounts(context);
  if (path.startsWith('sys/mounts/')) return mountSecretsEngine(context, path.slice(11));
  if (path === 'sys/auth') return listAuthMethods(context);
  if (path.startsWith('sys/auth/')) return enableAuthMethod(context, path.slice(9));
  if (path === 'sys/policies/acl' || path === 'sys/policies/acl/') return listPolicies(context);
  const policyName = /^sys\/policies\/acl\/([^/]+)$/.exec(path)?.[1];
  if (policyName) return policy(context, policyName);
  return auditRoute(context, path);
}
