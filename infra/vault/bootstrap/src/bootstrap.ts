import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vault from 'node-vault';
import { SERVICES, type ServiceName } from '@citadel/config';
import {
  appRoleDir,
  KV_MOUNT,
  readAppRoleCredentials,
  secretPaths,
  secretsError,
} from '@citadel/secrets';
import {
  AUDIT_DEFAULTS,
  AuditDeviceError,
  ensureAuditDevice,
  type AuditDeviceSettings,
} from './audit-device.js';
import { provisionServiceRoles, DATA_SERVICES } from './database-roles.js';
import { DATABASE_ROTATION_DEFAULT, ensureDatabaseEngine } from './database-engine.js';
import { newSigningKey, rotatedSigningKeys, type SigningKeysSecret } from './signing-keys.js';
import {
  ensureWorkloadPki,
  WORKLOAD_PKI_DEFAULTS,
  type WorkloadPkiSettings,
} from './workload-pki.js';

type Client = ReturnType<typeof vault>;

/**
 * The services that get a Vault identity: every service of the registry (packages/config),
 * one AppRole each, and one policy each from `infra/vault/policies/<service>.hcl`.
 */
export const VAULT_SERVICES: readonly ServiceName[] = SERVICES;
export type VaultService = ServiceName;

export const POLICY_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../policies',
);

/** The gateway's HTTPS certificate for clients (PEM), stored for the gateway to read. */
export interface EdgeTlsPem {
  cert: string;
  key: string;
}

export interface BootstrapOptions {
  addr: string;
  /** A root or admin token: used here only, never handed to a service. */
  token: string;
  /**
   * Where each service's role_id/secret_id are delivered (`$CITADEL_HOME/vault/<service>`).
   * Absent in Kubernetes, where each pod logs in with its own service-account token
   * (Kubernetes auth): no secret_id is minted for nobody to hold.
   */
  credentialsDir?: (service: VaultService) => string;
  /** PEM of the CA behind Vault's HTTPS certificate (`VAULT_CACERT`), when it is a private one. */
  caCert?: string;
  /**
   * The gateway's HTTPS certificate (the edge, which clients check). Services' mTLS
   * identities are not given here: Vault's PKI engine issues them (workload-pki.ts).
   */
  edgeTls: EdgeTlsPem;
  /** Lifetimes of the services' certificates; WORKLOAD_PKI_DEFAULTS for what is not given. */
  workloadPki?: Partial<WorkloadPkiSettings>;
  /** Local mode only: the demo users to seed. */
  demoUsers?: { email: string; password: string; role: string }[];
  /**
   * A PostgreSQL superuser URL (`postgres://admin@host:5432/citadel`): each data service
   * gets its own login role and schema there, whose password Vault's database engine sets
   * and rotates (database-engine.ts). Vault then holds these admin credentials. Without it,
   * services use embedded PostgreSQL.
   */
  databaseAdminUrl?: string;
  /** How often Vault rotates each service's database password; DATABASE_ROTATION_DEFAULT (24h). */
  databaseRotationPeriod?: string;
  /** The services' AppRole lifetimes and use limits; APPROLE_DEFAULTS says why each. */
  appRole?: Partial<AppRoleSettings>;
  /** The file audit device; AUDIT_DEFAULTS (`file/`, to Vault's stdout) for what is not given. */
  audit?: Partial<AuditDeviceSettings>;
  log?: (line: string) => void;
}

export interface AppRoleSettings {
  /** Vault duration syntax. */
  tokenPeriod: string;
  secretIdTtl: string;
  /** At least 2: one login per start, and one more after a token lost in an outage. */
  secretIdNumUses: number;
}

/**
 * What a service's AppRole issues, and why (Vault's AppRole API: token_period,
 * token_num_uses, secret_id_ttl, secret_id_num_uses):
 *
 * - `token_period` 1h: the service's token is periodic. Renewed at two thirds of its
 *   period, it lives as long as the service does, with no max TTL that forces a new login,
 *   so the service needs its secret_id once, at start. Left unrenewed for an hour (the
 *   service is gone, or Vault was away that long), it dies.
 * - `token_num_uses` 0: the token serves every read of the whole run (watches poll); a use
 *   limit would kill it mid-run.
 * - `secret_id_num_uses` 10, `secret_id_ttl` 720h: a delivered secret_id is worth a few
 *   logins (one per start, one more after a token lost to a long outage) within 30 days
 *   (under Vault's default max lease TTL, 768h, which caps it). A copy that leaks is spent
 *   or expires; before either happens to the service's own, the bootstrap and the launcher
 *   deliver a new one (deliverAppRoleCredentials).
 */
export const APPROLE_DEFAULTS: Readonly<AppRoleSettings> = {
  tokenPeriod: '1h',
  secretIdTtl: '720h',
  secretIdNumUses: 10,
};

export interface BootstrapReport {
  created: string[];
  unchanged: string[];
}

/**
 * Configures any Vault (real, or the local development server) for Citadel. Idempotent:
 * run it on every start; it creates what is missing, keeps what is there, and never
 * replaces a secret a service depends on (signing keys rotate only through rotateKeys).
 */
export async function bootstrapVault(options: BootstrapOptions): Promise<BootstrapReport> {
  const client = adminClient(options.addr, options.token, options.caCert);
  const report: BootstrapReport = { created: [], unchanged: [] };
  const note = (done: boolean, what: string) =>
    (done ? report.created : report.unchanged).push(what);

  // First, so that every later step, and every request after, is on the record.
  const audit: AuditDeviceSettings = {
    path: options.audit?.path ?? AUDIT_DEFAULTS.path,
    filePath: options.audit?.filePath ?? AUDIT_DEFAULTS.filePath,
  };
  try {
    note(
      await ensureAuditDevice(client, audit),
      `file audit device ${audit.path}/ (${audit.filePath})`,
    );
  } catch (error) {
    throw error instanceof AuditDeviceError ? error : secretsError('sys/audit', error);
  }

  await step('sys/mounts', async () => {
    type Mounts = Record<string, { type?: string; options?: { version?: string } | null }>;
    const mounts = (await client.read('sys/mounts')) as Mounts & { data?: Mounts };
    const existing = mounts.data?.[`${KV_MOUNT}/`] ?? mounts[`${KV_MOUNT}/`];
    if (!existing) {
      await client.write(`sys/mounts/${KV_MOUNT}`, { type: 'kv', options: { version: '2' } });
    } else if (existing.type !== 'kv' || existing.options?.version !== '2') {
      throw new Error(`${KV_MOUNT}/ is mounted but is not KV version 2`);
    }
    note(!existing, `kv-v2 mount ${KV_MOUNT}/`);
  });

  await step('sys/auth', async () => {
    const auths = (await client.read('sys/auth')) as Record<string, unknown> & {
      data?: Record<string, unknown>;
    };
    const enabled = Boolean(auths.data?.['approle/'] ?? auths['approle/']);
    if (!enabled) await client.write('sys/auth/approle', { type: 'approle' });
    note(!enabled, 'approle auth method');
  });

  const appRole = { ...APPROLE_DEFAULTS, ...options.appRole };
  if (!Number.isInteger(appRole.secretIdNumUses) || appRole.secretIdNumUses < 2) {
    throw new Error('appRole.secretIdNumUses must be an integer of at least 2');
  }
  for (const service of VAULT_SERVICES) {
    const policy = fs.readFileSync(path.join(POLICY_DIR, `${service}.hcl`), 'utf8');
    await step(`sys/policies/acl/${service}`, () =>
      client.write(`sys/policies/acl/${service}`, { policy }),
    );
    await step(`auth/approle/role/${service}`, () =>
      client.write(`auth/approle/role/${service}`, {
        token_policies: [service],
        token_period: appRole.tokenPeriod,
        token_num_uses: 0,
        secret_id_ttl: appRole.secretIdTtl,
        secret_id_num_uses: appRole.secretIdNumUses,
      }),
    );
  }
  note(true, `policies and roles for ${VAULT_SERVICES.join(', ')}`);

  const pki = { ...WORKLOAD_PKI_DEFAULTS, ...options.workloadPki };
  const rootMade = await step('pki', () => ensureWorkloadPki(client, VAULT_SERVICES, pki));
  // The roles are rewritten at every run, like the AppRoles ("policies and roles" below).
  note(rootMade, 'pki/ mesh root (generated inside Vault)');
  const edgeChanged = await writeIfDifferent(client, secretPaths.gatewayHttps, {
    ...options.edgeTls,
  });
  note(edgeChanged, secretPaths.gatewayHttps);
  const signingKeys = secretPaths.jwtSigningKeys;
  const hasKeys = await readKv<SigningKeysSecret>(client, signingKeys);
  if (!hasKeys) await writeKv(client, signingKeys, { keys: [await newSigningKey()] });
  note(!hasKeys, signingKeys);
  if (options.databaseAdminUrl) {
    const adminUrl = options.databaseAdminUrl;
    const provisioned = await step('database roles', () => provisionServiceRoles(adminUrl));
    // Vault sets each role's password when it takes it over, and rotates it from then on.
    for (const what of await ensureDatabaseEngine(client, provisioned, {
      adminUrl,
      rotationPeriod: options.databaseRotationPeriod ?? DATABASE_ROTATION_DEFAULT,
    }))
      note(true, what);
    for (const service of DATA_SERVICES) {
      const changed = await writeIfDifferent(client, secretPaths.database(service), {
        ...provisioned[service]!,
      });
      note(changed, secretPaths.database(service));
    }
  }
  if (options.demoUsers) {
    const changed = await writeIfDifferent(client, secretPaths.demoUsers, {
      users: options.demoUsers,
    });
    note(changed, secretPaths.demoUsers);
  }

  const { credentialsDir } = options;
  for (const service of credentialsDir ? VAULT_SERVICES : []) {
    const delivered = await deliverCredentials(client, service, credentialsDir!(service));
    note(delivered, `AppRole credentials for ${service}`);
  }
  options.log?.(
    `vault bootstrap: created ${report.created.length ? report.created.join(', ') : 'nothing'}; ` +
      `${report.unchanged.length} already in place`,
  );
  return report;
}

/** Publishes a new JWT signing key; the auth service picks it up without a restart. */
export async function rotateSigningKeys(
  addr: string,
  token: string,
  caCert?: string,
): Promise<string> {
  const client = adminClient(addr, token, caCert);
  const current = await readKv<SigningKeysSecret>(client, secretPaths.jwtSigningKeys);
  if (!current)
    throw new Error(`${secretPaths.jwtSigningKeys} is missing: run the bootstrap first`);
  const next = await rotatedSigningKeys(current.data);
  await writeKv(client, secretPaths.jwtSigningKeys, next, current.version);
  return next.keys[0]!.kid;
}

function adminClient(addr: string, token: string, caCert?: string): Client {
  const client = vault({
    endpoint: addr,
    requestOptions: { timeout: 5_000, ...(caCert ? { ca: caCert } : {}) },
  });
  client.token = token;
  return client;
}

async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw secretsError(what, error);
  }
}

async function readKv<T>(
  client: Client,
  name: string,
): Promise<{ data: T; version: number } | undefined> {
  const target = `${KV_MOUNT}/data/${name}`;
  try {
    const body = (await client.read(target)) as {
      data: { data: T; metadata: { version: number } };
    };
    return { data: body.data.data, version: body.data.metadata.version };
  } catch (error) {
    const failure = secretsError(target, error);
    if (failure.status === 404) return undefined;
    throw failure;
  }
}

async function writeKv(client: Client, name: string, data: object, cas?: number): Promise<void> {
  const target = `${KV_MOUNT}/data/${name}`;
  await step(target, () => client.write(target, { data, ...(cas ? { options: { cas } } : {}) }));
}

async function writeIfDifferent(client: Client, name: string, data: object): Promise<boolean> {
  const current = await readKv<object>(client, name);
  if (current && JSON.stringify(current.data) === JSON.stringify(data)) return false;
  await writeKv(client, name, data);
  return true;
}

/**
 * Makes sure `dir` holds AppRole credentials that will log `service` in, minting a new
 * secret_id when the delivered one will not do. The launcher calls it before it (re)starts
 * a service, since each start spends one use of the secret_id. Returns whether it delivered.
 */
export async function deliverAppRoleCredentials(options: {
  addr: string;
  /** An admin token (the launcher's, as for the bootstrap). */
  token: string;
  service: VaultService;
  dir: string;
}): Promise<boolean> {
  return deliverCredentials(adminClient(options.addr, options.token), options.service, options.dir);
}

/**
 * Hands a service its role_id and secret_id as files only it reads (mode 0600). Delivered
 * credentials are kept while the secret_id has uses and life to spare, so a re-run does
 * not churn secret_ids; one that is replaced is destroyed, so no spare stays live.
 */
async function deliverCredentials(
  client: Client,
  service: VaultService,
  dir: string,
): Promise<boolean> {
  const roleId = (
    (await step(`auth/approle/role/${service}/role-id`, () =>
      client.read(`auth/approle/role/${service}/role-id`),
    )) as { data: { role_id: string } }
  ).data.role_id;
  let replaced: string | undefined;
  if (fs.existsSync(path.join(dir, 'secret_id'))) {
    const held = readAppRoleCredentials(dir);
    if (held.roleId === roleId) {
      if (await secretIdWillServe(client, service, held.secretId)) return false;
      replaced = held.secretId;
    }
  }
  const secretId = (
    (await step(`auth/approle/role/${service}/secret-id`, () =>
      client.write(`auth/approle/role/${service}/secret-id`, {}),
    )) as { data: { secret_id: string } }
  ).data.secret_id;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, value] of [
    ['role_id', roleId],
    ['secret_id', secretId],
  ] as const) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, value + '\n', { mode: 0o600 });
    fs.chmodSync(file, 0o600);
  }
  if (replaced) {
    await step(`auth/approle/role/${service}/secret-id/destroy`, () =>
      client.write(`auth/approle/role/${service}/secret-id/destroy`, { secret_id: replaced }),
    );
  }
  return true;
}

/**
 * Whether a delivered secret_id still has uses and life to spare: at least two uses (the
 * start about to happen, and a login after a token lost to an outage) and half its life.
 * Vault is asked with secret-id/lookup, which spends no use and issues no token (a trial
 * login would do both). One without a use limit or a TTL, from an older bootstrap, is
 * replaced.
 */
async function secretIdWillServe(
  client: Client,
  service: VaultService,
  secretId: string,
): Promise<boolean> {
  const target = `auth/approle/role/${service}/secret-id/lookup`;
  const body = (await step(target, () => client.write(target, { secret_id: secretId }))) as
    { data?: { secret_id_num_uses: number; secret_id_ttl: number; expiration_time: string } } | '';
  // No content: unknown, spent or expired.
  if (!body || !body.data) return false;
  const { secret_id_num_uses: usesLeft, secret_id_ttl: ttlS, expiration_time } = body.data;
  if (usesLeft < 2 || ttlS <= 0) return false;
  return Date.parse(expiration_time) - Date.now() >= (ttlS * 1000) / 2;
}

export { appRoleDir };
