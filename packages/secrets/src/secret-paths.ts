/** The KV v2 mount every Citadel secret lives in. */
export const KV_MOUNT = 'secret';

/**
 * Where each secret lives under the KV mount. Every service's secrets sit below
 * `citadel/<service>/`, which is exactly what its policy (infra/vault/policies) grants.
 */
export const secretPaths = {
  /** `{ca, cert, key}` PEM: the service's mTLS identity. */
  tls: (service: string) => `citadel/${service}/tls`,
  /** `{keys: [{kid, private_jwk, created_at}]}`, newest first: auth's JWT signing keys. */
  jwtSigningKeys: 'citadel/auth/jwt-signing-keys',
  /** `{host, port, database, user, password}`: the service's own PostgreSQL login role. */
  database: (service: string) => `citadel/${service}/database`,
  /** `{users: [{email, password, role}]}`: the demo users, local mode only. */
  demoUsers: 'citadel/auth/demo-users',
} as const;
