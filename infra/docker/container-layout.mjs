// Where the Citadel images keep what the one-shot init steps make, as docker-compose.yml
// mounts it. Each directory is its own volume, so each container sees only what it needs.
import path from 'node:path';

/**
 * The layout under `root` (`/citadel` in the images). A function as well as the `layout`
 * below, so a harness that runs these scripts outside a container (the compose rehearsal,
 * e2e/compose-rehearsal.e2e-spec.ts) finds their files where they put them.
 */
export function containerLayout(root, home = path.join(root, 'home')) {
  return {
    /**
     * CITADEL_HOME: `pki/` (the gateway's HTTPS certificate, for vault-init to store in
     * Vault; init steps only) and `vault/<service>/` (one volume per service).
     */
    home,
    /**
     * The infrastructure CA's certificate (the current one, then the one before it during a
     * renewal), and nothing else: public, mounted read-only everywhere. Its key exists only
     * in secrets-init's memory, while it signs.
     */
    caFile: path.join(root, 'ca', 'ca.pem'),
    /** Vault's server certificate and key (the `vault-tls` volume, /vault/tls in Vault). */
    vaultTlsDir: path.join(root, 'out', 'vault'),
    /** PostgreSQL's superuser password and server certificate (/run/citadel/postgres there). */
    postgresDir: path.join(root, 'out', 'postgres'),
    /**
     * Redis's password and server certificate (the `redis-secrets` volume): read by Redis and
     * by the gateway (its REDIS_URL), and by nothing else.
     */
    redisDir: path.join(root, 'out', 'redis'),
    /** vault-init only: the unseal key, the root token and the demo users' passwords. */
    adminDir: path.join(root, 'admin'),
    /** vault-init writes, vault-unseal reads: Vault's unseal key share, and nothing else. */
    unsealDir: path.join(root, 'unseal'),
  };
}

/** `/citadel` in the images; a scratch directory when the scripts are tried outside one. */
export const layout = containerLayout(
  process.env.CITADEL_CONTAINER_ROOT || '/citadel',
  process.env.CITADEL_HOME || undefined,
);

/**
 * The group every Citadel container runs as (10001). Vault and PostgreSQL join it
 * (`group_add`) to read the key and password files made for them, which are mode 0640:
 * readable by that group and by no other user in any container.
 */
export const SHARED_FILE_MODE = 0o640;

/**
 * The server certificates secrets-init signs with the infrastructure CA, where each goes,
 * and where a copy of the CA bundle goes beside it for the server's own health check.
 * Nothing here is a CA key: that one is never written (infra/deploy and the compose
 * rehearsal check it).
 */
export function infrastructureCertificates(l) {
  const pki = path.join(l.home, 'pki');
  const postgresTls = path.join(l.postgresDir, 'tls');
  const redisTls = path.join(l.redisDir, 'tls');
  return [
    {
      name: 'vault',
      dnsNames: ['vault'],
      certFile: path.join(l.vaultTlsDir, 'vault.pem'),
      keyFile: path.join(l.vaultTlsDir, 'vault-key.pem'),
      caFile: path.join(l.vaultTlsDir, 'ca.pem'),
    },
    {
      name: 'postgres',
      // Its Service's names in Kubernetes too (namespace citadel), where Vault reaches it
      // from its own namespace.
      dnsNames: ['postgres', 'postgres.citadel.svc', 'postgres.citadel.svc.cluster.local'],
      certFile: path.join(postgresTls, 'postgres.pem'),
      keyFile: path.join(postgresTls, 'postgres-key.pem'),
      caFile: path.join(postgresTls, 'ca.pem'),
    },
    {
      name: 'redis',
      dnsNames: ['redis'],
      certFile: path.join(redisTls, 'redis.pem'),
      keyFile: path.join(redisTls, 'redis-key.pem'),
      caFile: path.join(redisTls, 'ca.pem'),
    },
    // The gateway's HTTPS certificate for clients (vault-init stores it in Vault for the
    // gateway); its mesh identity comes from Vault's PKI engine like every service's.
    {
      name: 'gateway',
      dnsNames: ['gateway'],
      certFile: path.join(pki, 'gateway.pem'),
      keyFile: path.join(pki, 'gateway-key.pem'),
      caFile: path.join(pki, 'ca.pem'),
    },
  ];
}
