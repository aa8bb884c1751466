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
  provisionServiceRoles,
  DATA_SERVICES,
  type DatabaseCredentials,
} from './database-roles.js';
import { newSigningKey, rotatedSigningKeys, type SigningKeysSecret } from './signing-keys.js';

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

export interface ServiceTlsPem {
  ca: string;
  cert: string;
  key: string;
}

export interface BootstrapOptions {
  addr: string;
  /** A root or admin token: used here only, never handed to a service. */
  token: string;
  /** Where each service's role_id/secret_id are delivered (`$CITADEL_HOME/vault/<service>`). */
  credentialsDir: (service: VaultService) => string;
  /** Each service's mTLS identity, stored in Vault for the service to read at start. */
  tls: (service: VaultService) => ServiceTlsPem;
  /** Local mode only: the demo users to seed. */
  demoUsers?: { email: string; password: string; role: string }[];
  /**
   * A PostgreSQL superuser URL (`postgres://admin@host:5432/citadel`): each data service
   * gets its own login role and schema there, credentials stored in Vault. Without it,
   * services use embedded PostgreSQL.
   */
  databaseAdminUrl?: string;
  /** AppRole token lifetimes, in Vault duration syntax. */
  tokenTtl?: string;
  tokenMaxTtl?: string;
  log?: (line: string) => void;
}

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
  const client = adminClient(options.addr, options.token);
  const report: BootstrapReport = { created: [], unchanged: [] };
  const note = (done: boolean, what: string) =>
    (done ? report.created : report.unchanged).push(what);

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

  for (const service of VAULT_SERVICES) {
    const policy = fs.readFileSync(path.join(POLICY_DIR, `${service}.hcl`), 'utf8');
    await step(`sys/policies/acl/${service}`, () =>
      client.write(`sys/policies/acl/${service}`, { policy }),
    );
    await step(`auth/approle/role/${service}`, () =>
      client.write(`auth/approle/role/${service}`, {
        token_policies: [service],
        token_ttl: options.tokenTtl ?? '1h',
        token_max_ttl: options.tokenMaxTtl ?? '24h',
        secret_id_ttl: 0,
        secret_id_num_uses: 0,
      }),
    );
  }
  note(true, `policies and roles for ${VAULT_SERVICES.join(', ')}`);

  for (const service of VAULT_SERVICES) {
    const changed = await writeIfDifferent(client, secretPaths.tls(service), {
      ...options.tls(service),
    });
    note(changed, `${secretPaths.tls(service)}`);
  }
  const signingKeys = secretPaths.jwtSigningKeys;
  const hasKeys = await readKv<SigningKeysSecret>(client, signingKeys);
  if (!hasKeys) await writeKv(client, signingKeys, { keys: [await newSigningKey()] });
  note(!hasKeys, signingKeys);
  if (options.databaseAdminUrl) {
    const current: Record<string, DatabaseCredentials> = {};
    for (const service of DATA_SERVICES) {
      const stored = await readKv<DatabaseCredentials>(client, secretPaths.database(service));
      if (stored) current[service] = stored.data;
    }
    const provisioned = await step('database roles', () =>
      provisionServiceRoles(options.databaseAdminUrl!, current),
    );
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

  for (const service of VAULT_SERVICES) {
    const delivered = await deliverCredentials(client, service, options.credentialsDir(service));
    note(delivered, `AppRole credentials for ${service}`);
  }
  options.log?.(
    `vault bootstrap: created ${report.created.length ? report.created.join(', ') : 'nothing'}; ` +
      `${report.unchanged.length} already in place`,
  );
  return report;
}

/** Publishes a new JWT signing key; the auth service picks it up without a restart. */
export async function rotateSigningKeys(addr: string, token: string): Promise<string> {
  const client = adminClient(addr, token);
  const current = await readKv<SigningKeysSecret>(client, secretPaths.jwtSigningKeys);
  if (!current)
    throw new Error(`${secretPaths.jwtSigningKeys} is missing: run the bootstrap first`);
  const next = await rotatedSigningKeys(current.data);
  await writeKv(client, secretPaths.jwtSigningKeys, next, current.version);
  return next.keys[0]!.kid;
}

function adminClient(addr: string, token: string): Client {
  const client = vault({ endpoint: addr, requestOptions: { timeout: 5_000 } });
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
 * Hands a service its role_id and secret_id as files only it reads (mode 0600). Valid
 * credentials already delivered are kept, so a re-run does not churn secret_ids.
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
  if (fs.existsSync(path.join(dir, 'secret_id'))) {
    const held = readAppRoleCredentials(dir);
    if (held.roleId === roleId && (await canLogIn(client, held.roleId, held.secretId)))
      return false;
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
  return true;
}

async function canLogIn(client: Client, roleId: string, secretId: string): Promise<boolean> {
  const probe = vault({ endpoint: client.endpoint, requestOptions: { timeout: 5_000 } });
  probe.token = '';
  try {
    const body = (await probe.approleLogin({ role_id: roleId, secret_id: secretId })) as {
      auth: { client_token: string };
    };
    // The probe's token is of no further use: revoke it rather than leave it live.
    probe.token = body.auth.client_token;
    await probe.write('auth/token/revoke-self', {}).catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

export { appRoleDir };
