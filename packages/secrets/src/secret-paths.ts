/** The KV v2 mount every Citadel secret lives in. */
export const KV_MOUNT = 'secret';

/**
 * Where each secret lives under the KV mount. Every service's secrets sit below
 * `citadel/<service>/`, which is exactly what its policy (infra/vault/policies) grants.
 */
export const secretPaths = {
  /**
   * `{cert, key}` PEM: the gateway's HTTPS certificate for clients (the edge, not the mesh:
   * every service's mTLS identity is issued by Vault's PKI engine, see issueServiceCertificate).
   */
  gatewayHttps: 'citadel/gateway/https',
  /** `{keys: [{kid, private_jwk, created_at}]}`, newest first: auth's JWT signing keys. */
  jwtSigningKeys: 'citadel/auth/jwt-signing-keys',
  /**
   * `{host, port, database, user, ssl}`: where the service's own PostgreSQL login role logs
   * in. Its password is not here: it comes from {@link databaseCredentialsPath}.
   */
  database: (service: string) => `citadel/${service}/database`,
  /** `{users: [{email, password, role}]}`: the demo users, local mode only. */
  demoUsers: 'citadel/auth/demo-users',
} as const;

/** Where Vault's database secrets engine is mounted. */
export const DATABASE_MOUNT = 'database';

/**
 * The service's static role in the database engine (named after the service): its current
 * password, rotated by Vault. Each service's policy grants `read` here and nothing else of
 * the engine.
 */
export const databaseCredentialsPath = (service: string) =>
  `${DATABASE_MOUNT}/static-creds/${service}`;
