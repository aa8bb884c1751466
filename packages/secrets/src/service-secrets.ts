import fs from 'node:fs';
import { spiffeId } from '@citadel/config';
import path from 'node:path';
import { appRoleDir, readAppRoleCredentials } from './approle-credentials.js';
import { VaultDatabasePassword, type StaticCredentials } from './database-password.js';
import { databaseCredentialsPath, secretPaths } from './secret-paths.js';
import { SecretsError } from './secrets-error.js';
import { VaultSession, type SecretsLogger, type VaultSessionOptions } from './vault-session.js';

export interface ServiceVaultSettings {
  CITADEL_HOME: string;
  VAULT_ADDR: string;
  VAULT_CACERT?: string | undefined;
  CITADEL_SECRET_WATCH_MS: number;
  /** `approle` (default): delivered role_id/secret_id. `kubernetes`: the pod's own token. */
  VAULT_AUTH_METHOD?: 'approle' | 'kubernetes' | undefined;
  /** The Kubernetes auth role; default `citadel-<service>`. */
  VAULT_K8S_ROLE?: string | undefined;
  /** The projected service-account token (audience `vault`) kubelet keeps fresh. */
  VAULT_K8S_TOKEN_FILE?: string | undefined;
}

/** Where the manifests in infra/k8s mount the pod's Vault-audience token. */
export const DEFAULT_K8S_TOKEN_FILE = '/var/run/secrets/vault/token';

/**
 * How a service logs in: with the AppRole credentials delivered to
 * `$CITADEL_HOME/vault/<service>/` (local mode, compose), or, in Kubernetes, with its pod's
 * projected service-account token, read from its file at each login (kubelet rotates it).
 */
function serviceLogin(
  env: ServiceVaultSettings,
  service: string,
): Pick<VaultSessionOptions, 'credentials' | 'kubernetes'> {
  if (env.VAULT_AUTH_METHOD === 'kubernetes') {
    const file = env.VAULT_K8S_TOKEN_FILE ?? DEFAULT_K8S_TOKEN_FILE;
    return {
      kubernetes: {
        role: env.VAULT_K8S_ROLE ?? `citadel-${service}`,
        jwt: () => {
          try {
            return fs.readFileSync(file, 'utf8').trim();
          } catch {
            throw new Error(
              `no service-account token at ${file} (VAULT_K8S_TOKEN_FILE): mount a projected token with audience "vault" there`,
            );
          }
        },
      },
    };
  }
  const dir = appRoleDir(env.CITADEL_HOME, service);
  return { credentials: () => readAppRoleCredentials(dir) };
}

/**
 * A service's Vault session, logged in with its own identity (AppRole or Kubernetes). Fails
 * closed: without its credentials or without Vault, the service does not start. Credentials
 * are read from their files at each login, so ones delivered or rotated anew reach a
 * running service.
 */
export function openServiceVault(
  env: ServiceVaultSettings,
  service: string,
  logger: SecretsLogger,
): Promise<VaultSession> {
  return VaultSession.open({
    addr: env.VAULT_ADDR,
    ...serviceLogin(env, service),
    caCert: env.VAULT_CACERT ? fs.readFileSync(env.VAULT_CACERT, 'utf8') : undefined,
    watchIntervalMs: env.CITADEL_SECRET_WATCH_MS,
    logger,
  });
}

/** The gateway's HTTPS (edge) certificate and key, read from Vault. */
export async function readGatewayHttps(
  session: VaultSession,
): Promise<{ cert: Buffer; key: Buffer }> {
  const { data } = await session.read<{ cert: string; key: string }>(secretPaths.gatewayHttps);
  return { cert: Buffer.from(data.cert), key: Buffer.from(data.key) };
}

/** A service's database: its own PostgreSQL role from Vault, or embedded PostgreSQL. */
export type ServiceDatabaseConfig =
  | { kind: 'embedded'; dataDir: string }
  | {
      kind: 'postgres';
      host: string;
      port: number;
      database: string;
      user: string;
      /** Vault's database engine rotates it; the pool asks for it at each new connection. */
      password: VaultDatabasePassword;
      ssl?: boolean;
    };

/**
 * Real PostgreSQL when the bootstrap stored where this service's role logs in
 * (`citadel/<service>/database`), with the role's password from Vault's database engine
 * (`database/static-creds/<service>`, read now and whenever a rotation is due or the
 * password is refused); embedded PostgreSQL under `$CITADEL_HOME/data/<service>` when it
 * did not (local mode). Any other failure (403, Vault down, no static role) stops the start.
 */
export async function readDatabaseConfig(
  session: VaultSession,
  service: string,
  home: string,
  /** Told when a rotated password is taken up (`database.password.rotated`). */
  logger?: Pick<SecretsLogger, 'info'>,
): Promise<ServiceDatabaseConfig> {
  let location: { host: string; port: number; database: string; user: string; ssl?: boolean };
  try {
    ({ data: location } = await session.read<typeof location>(secretPaths.database(service)));
  } catch (error) {
    if (error instanceof SecretsError && error.status === 404) {
      return { kind: 'embedded', dataDir: path.join(home, 'data', service) };
    }
    throw error;
  }
  const password = await VaultDatabasePassword.open({
    read: () => session.readPath<StaticCredentials>(databaseCredentialsPath(service)),
    ...(logger && { logger }),
  });
  const { host, port, database, user, ssl } = location;
  return { kind: 'postgres', host, port, database, user, password, ...(ssl ? { ssl } : {}) };
}

/** The PKI mount that issues every service's mTLS certificate (a role per service). */
export const PKI_MOUNT = 'pki';

/** The DNS name a service's certificate carries; clients send it as the TLS server name. */
export const serviceDnsName = (service: string): string => `${service}.citadel.local`;

/** A certificate from Vault's PKI engine, as `pki/issue/<role>` answers it. */
export interface ServiceCertificate {
  certificate: string;
  privateKey: string;
  /** The issuing CA (the mesh's root): what peers are checked against. */
  caChain: string[];
  serialNumber: string;
  /** Epoch seconds. */
  expiration: number;
}

/**
 * Issues `service` a fresh mTLS certificate from Vault's PKI engine: its SPIFFE ID as the
 * only URI SAN, its `<service>.citadel.local` name, and the role's TTL unless `ttl` asks for
 * less (Vault caps it at the role's max_ttl). The private key is made by Vault for this
 * call and lives only in the caller's memory. The role allows this service's SPIFFE ID and
 * nothing else, and the service's policy grants `pki/issue/<service>` only.
 */
export async function issueServiceCertificate(
  session: VaultSession,
  service: string,
  options: { ttl?: string } = {},
): Promise<ServiceCertificate> {
  const data = await session.write<{
    certificate: string;
    private_key: string;
    issuing_ca: string;
    ca_chain?: string[];
    serial_number: string;
    expiration: number;
  }>(`${PKI_MOUNT}/issue/${service}`, {
    common_name: serviceDnsName(service),
    uri_sans: spiffeId(service),
    ...(options.ttl ? { ttl: options.ttl } : {}),
  });
  return {
    certificate: data.certificate,
    privateKey: data.private_key,
    caChain: data.ca_chain?.length ? data.ca_chain : [data.issuing_ca],
    serialNumber: data.serial_number,
    expiration: data.expiration,
  };
}
