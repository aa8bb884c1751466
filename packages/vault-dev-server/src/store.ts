import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Everything the dev server knows, as one JSON document. Maps keyed by caller-chosen names
 * (KV paths, role and policy names) are prototype-less objects, so a secret stored at
 * `secret/data/__proto__` is an ordinary entry and cannot reach Object.prototype.
 */
export type Dict<T> = Record<string, T>;

export function dict<T>(): Dict<T> {
  return Object.create(null) as Dict<T>;
}

export interface KvVersion {
  data: Dict<unknown>;
  createdTime: string;
}

export interface KvSecret {
  createdTime: string;
  updatedTime: string;
  currentVersion: number;
  /** 0 until old versions are pruned, as Vault reports it. */
  oldestVersion: number;
  versions: Dict<KvVersion>;
}

/** A KV version 2 secrets engine. */
export interface KvEngine {
  type: 'kv';
  accessor: string;
  uuid: string;
  description: string;
  secrets: Dict<KvSecret>;
}

/** A PKI role (`<mount>/roles/<name>`); TTLs in seconds, 0 meaning the mount's. */
export interface PkiRole {
  ttl: number;
  maxTtl: number;
  allowLocalhost: boolean;
  allowedDomains: string[];
  allowBareDomains: boolean;
  allowSubdomains: boolean;
  allowAnyName: boolean;
  enforceHostnames: boolean;
  allowIpSans: boolean;
  /** Go globs (`*` matches anything, `/` included), as Vault's ValidateURISAN reads them. */
  allowedUriSans: string[];
  serverFlag: boolean;
  clientFlag: boolean;
  keyType: 'ec' | 'rsa';
  keyBits: number;
  requireCn: boolean;
  noStore: boolean;
}

/** A PKI secrets engine: one internally generated root, its roles, the leaves it stored. */
export interface PkiEngine {
  type: 'pki';
  accessor: string;
  uuid: string;
  description: string;
  /** Seconds (`config.max_lease_ttl` of the mount); 0 for Vault's system maximum, 768h. */
  maxLeaseTtl: number;
  /** The root's private key is here and nowhere else: no response carries it. */
  issuer: {
    id: string;
    certificate: string;
    keyPem: string;
    keyType: 'ec' | 'rsa';
    keyBits: number;
    serialNumber: string;
    notAfter: number;
  } | null;
  roles: Dict<PkiRole>;
  /** Keyed by serial; leaves of roles with `no_store` are not kept. */
  certs: Dict<{ certificate: string; expiration: number }>;
}

/**
 * A connection of the database secrets engine (`<mount>/config/<name>`): how the engine
 * reaches PostgreSQL as its admin ("root") user. Only the PostgreSQL plugin exists here.
 */
export interface DatabaseConnection {
  pluginName: 'postgresql-database-plugin';
  /** With `{{username}}`/`{{password}}` templates, as Vault takes it. */
  connectionUrl: string;
  username: string;
  /** The root password: never returned on read; `rotate-root` replaces it. */
  password: string;
  /** `password`: the plaintext goes into the rotation statement; `scram-sha-256`: its verifier. */
  passwordAuthentication: 'password' | 'scram-sha-256';
  allowedRoles: string[];
  rootRotationStatements: string[];
  verifyConnection: boolean;
  /** Every other connection detail as written (Vault returns them on read). */
  details: Dict<unknown>;
}

/** A static role (`<mount>/static-roles/<name>`): one existing database user whose password Vault owns. */
export interface DatabaseStaticRole {
  dbName: string;
  username: string;
  password: string;
  /** Seconds; at least 5, as Vault's rotation queue ticks every 5 s. */
  rotationPeriod: number;
  rotationStatements: string[];
  /** Epoch ms of the last rotation by this server. */
  lastVaultRotation: number;
}

/** Vault's database secrets engine, with static roles only. */
export interface DatabaseEngine {
  type: 'database';
  accessor: string;
  uuid: string;
  description: string;
  connections: Dict<DatabaseConnection>;
  staticRoles: Dict<DatabaseStaticRole>;
}

export type SecretEngine = KvEngine | PkiEngine | DatabaseEngine;

export interface SecretIdEntry {
  accessor: string;
  creationTime: number;
  /** Epoch ms; `null` for a secret ID that does not expire. */
  expireTime: number | null;
  /** `null` for unlimited uses. */
  usesLeft: number | null;
}

export interface AppRole {
  roleId: string;
  tokenPolicies: string[];
  /** Seconds; 0 means the system default. */
  tokenTtl: number;
  tokenMaxTtl: number;
  /** Seconds; non-zero makes every token of the role periodic (see TokenEntry.period). */
  tokenPeriod?: number;
  secretIdTtl: number;
  secretIdNumUses: number;
  /** Keyed by the SHA-256 of the secret ID: the secret ID itself is never stored. */
  secretIds: Dict<SecretIdEntry>;
}

export interface AppRoleMethod {
  type: 'approle';
  accessor: string;
  uuid: string;
  description: string;
  roles: Dict<AppRole>;
}

/**
 * `auth/<mount>/config` of a Kubernetes auth method. `tokenReviewerJwt` is a credential for
 * the Kubernetes API: as in Vault, it is stored but never read back.
 */
export interface KubernetesAuthConfig {
  kubernetesHost: string;
  kubernetesCaCert: string;
  /** PEM public keys or certificates: with any, a login's JWT signature is checked locally too. */
  pemKeys: string[];
  issuer: string;
  disableIssValidation: boolean;
  tokenReviewerJwt: string;
}

/** A Kubernetes auth role: which service accounts may log in, and the token they get. */
export interface KubernetesRole {
  boundServiceAccountNames: string[];
  boundServiceAccountNamespaces: string[];
  /** The `aud` a login's JWT must carry; empty for none (Vault warns). */
  audience: string;
  tokenPolicies: string[];
  /** Seconds; 0 means the system default. */
  tokenTtl: number;
  tokenMaxTtl: number;
  tokenPeriod: number;
}

export interface KubernetesAuthMethod {
  type: 'kubernetes';
  accessor: string;
  uuid: string;
  description: string;
  config: KubernetesAuthConfig | null;
  roles: Dict<KubernetesRole>;
}

export type AuthMethod = AppRoleMethod | KubernetesAuthMethod;

export interface TokenEntry {
  accessor: string;
  policies: string[];
  meta: Dict<string> | null;
  displayName: string;
  /** The login path that issued the token, e.g. `auth/approle/login`. */
  path: string;
  /** Epoch ms. */
  creationTime: number;
  /** Seconds the token was issued for. */
  creationTtl: number;
  /** Epoch ms; `null` for the root token, which never expires. */
  expireTime: number | null;
  /** Epoch ms past which no renewal can extend the token (the role's token_max_ttl). */
  maxExpireTime: number | null;
  renewable: boolean;
  /**
   * Seconds; set for a periodic token, which has no maximum life: each renewal gives it
   * `period` seconds more, so it lives as long as its holder keeps renewing it.
   */
  period?: number;
}

/**
 * An enabled audit device (`sys/audit/<path>`). Only Vault's `file` type: `file_path` is a
 * file, `stdout` or `discard`.
 */
export interface AuditDevice {
  type: 'file';
  description: string;
  /** As given to `sys/audit/<path>`, every value a string (Vault's `map[string]string`). */
  options: Dict<string>;
  local: boolean;
  accessor: string;
  /**
   * The HMAC key of this device's hashes. Vault keeps one per device in its barrier and
   * never shows it; here it sits in the state file, beside every secret it protects.
   */
  salt: string;
}

/**
 * What `sys/init` made, known only by hash: the root token it handed out and the one unseal
 * key share. Neither can be recovered from the state file.
 */
export interface InitRecord {
  rootTokenHash: string;
  unsealKeyHash: string;
  /** Epoch ms. */
  initTime: number;
}

/**
 * How the server got its root token and unseal key. `preset`: given at every start (the
 * default, and every state file from before `sys/init`). `sys-init`: a fresh Vault that waits
 * for `sys/init`.
 */
export type InitMode = 'preset' | 'sys-init';

const FORMAT = 'citadel-vault-dev-server/1';

export interface VaultState {
  format: typeof FORMAT;
  /** Keyed by mount path with its trailing slash, e.g. `secret/`. */
  secretEngines: Dict<SecretEngine>;
  /** Keyed by path under `auth/` with its trailing slash, e.g. `approle/`. */
  authMethods: Dict<AuthMethod>;
  /** Policy name → HCL text; parsed when written and when loaded. */
  policies: Dict<string>;
  /** Keyed by the SHA-256 of the token: a stolen state file yields no usable token. */
  tokens: Dict<TokenEntry>;
  /** Keyed by path with its trailing slash, e.g. `file/`. Absent in files from before audit. */
  auditDevices: Dict<AuditDevice>;
  /**
   * Absent in the `preset` mode. In the `sys-init` mode: `null` until `sys/init`, then what it
   * made, so a restart comes back initialised (and sealed).
   */
  init?: InitRecord | null;
}

export function emptyState(mode: InitMode = 'preset'): VaultState {
  return {
    format: FORMAT,
    secretEngines: dict(),
    authMethods: dict(),
    policies: dict(),
    tokens: dict(),
    auditDevices: dict(),
    ...(mode === 'sys-init' && { init: null }),
  };
}

/** The mode a state was written in: a file from one mode cannot start the other. */
export function initModeOf(state: VaultState): InitMode {
  return state.init === undefined ? 'preset' : 'sys-init';
}

/** JSON.parse whose objects have no prototype, for request bodies and the state file alike. */
export function parseJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) =>
    value === null || typeof value !== 'object' || Array.isArray(value)
      ? value
      : Object.assign(dict<unknown>(), value),
  );
}

/**
 * The state, kept in memory and, with a file, written after every change. The write goes to
 * a temporary file that is then renamed over the old one, so a crash mid-write never leaves
 * a truncated state; the file is 0600 in a 0700 directory because it holds every secret.
 */
export class VaultStore {
  private constructor(
    readonly state: VaultState,
    private readonly file: string | undefined,
  ) {}

  static inMemory(mode: InitMode = 'preset'): VaultStore {
    return new VaultStore(emptyState(mode), undefined);
  }

  /** Reads `file`, or starts an empty state in `mode` when there is none yet. */
  static open(file: string, mode: InitMode = 'preset'): VaultStore {
    if (!fs.existsSync(file)) {
      const dir = path.dirname(file);
      // Only a directory we create gets 0700: chmod-ing an existing one (say /tmp) is not ours to do.
      if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      return new VaultStore(emptyState(mode), file);
    }
    let state: VaultState;
    try {
      state = parseJson(fs.readFileSync(file, 'utf8')) as VaultState;
    } catch (error) {
      throw new Error(`cannot read the Vault dev-server state ${file}: ${String(error)}`, {
        cause: error,
      });
    }
    if (state?.format !== FORMAT) {
      throw new Error(`${file} is not a Vault dev-server state file (expected format ${FORMAT})`);
    }
    state.auditDevices ??= dict();
    return new VaultStore(state, file);
  }

  /** Drops expired tokens and secret IDs, then writes the state if it has a file. */
  save(now: number): void {
    for (const [hash, token] of Object.entries(this.state.tokens)) {
      if (token.expireTime !== null && token.expireTime <= now) delete this.state.tokens[hash];
    }
    for (const method of Object.values(this.state.authMethods)) {
      if (method.type !== 'approle') continue;
      for (const role of Object.values(method.roles)) {
        for (const [hash, secretId] of Object.entries(role.secretIds)) {
          if (secretId.expireTime !== null && secretId.expireTime <= now) {
            delete role.secretIds[hash];
          }
        }
      }
    }
    if (!this.file) return;
    const temporary = `${this.file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    const fd = fs.openSync(temporary, 'wx', 0o600);
    try {
      fs.writeFileSync(fd, JSON.stringify(this.state, null, 2));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, this.file);
  }
}
