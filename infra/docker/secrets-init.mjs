// `citadel-init secrets`: the first one-shot step of docker-compose.yml, before Vault and
// PostgreSQL start. It makes at runtime, into volumes, everything that must never be in a
// file we commit or in an image layer:
//   - the development CA and one certificate per service (SPIFFE URI SAN), as `npm start` does;
//   - a server certificate for Vault (https://vault:8200) and one for PostgreSQL (host
//     `postgres`), so secrets and database traffic are encrypted on the internal networks too;
//   - PostgreSQL's superuser password (POSTGRES_PASSWORD_FILE), 32 random bytes;
//   - Redis's password and server certificate (rediss://redis:6379), for the gateway replicas'
//     shared rate-limit counters and revocation feed.
// Idempotent: material that exists and is still valid under the current CA is kept.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pkiPaths, SERVICES } from '@citadel/config';
import { ensureDevPki, isCertificateUsable, issueCertificate } from '@citadel/pki';
import { layout, SHARED_FILE_MODE } from './container-layout.mjs';

function writeFile(file, content, mode) {
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

/** A server certificate for an infrastructure container, reissued when missing or expiring. */
async function ensureServerCertificate(ca, dir, name, dnsNames, log) {
  const certFile = path.join(dir, `${name}.pem`);
  const keyFile = path.join(dir, `${name}-key.pem`);
  if (
    fs.existsSync(certFile) &&
    fs.existsSync(keyFile) &&
    isCertificateUsable(fs.readFileSync(certFile, 'utf8'), ca.certPem)
  ) {
    return;
  }
  // Loopback too: the container's own health check connects to 127.0.0.1.
  const issued = await issueCertificate(ca, {
    commonName: name,
    dnsNames: [...dnsNames, 'localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  writeFile(certFile, issued.certPem, 0o644);
  writeFile(keyFile, issued.keyPem, SHARED_FILE_MODE);
  log(`issued a server certificate for ${name} (${dnsNames.join(', ')})`);
}

export async function initSecrets(log = (line) => process.stdout.write(`${line}\n`)) {
  await ensureDevPki(layout.home, SERVICES);
  const pki = pkiPaths(layout.home);
  const ca = {
    certPem: fs.readFileSync(pki.caCert, 'utf8'),
    keyPem: fs.readFileSync(pki.caKey, 'utf8'),
  };
  log(`development CA and certificates for ${SERVICES.join(', ')} in place`);

  // The CA certificate alone goes to the shared, public volume: clients trust it, and the
  // CA's key never leaves the pki volume.
  fs.mkdirSync(path.dirname(layout.caFile), { recursive: true });
  writeFile(layout.caFile, ca.certPem, 0o644);

  fs.mkdirSync(layout.vaultTlsDir, { recursive: true });
  writeFile(path.join(layout.vaultTlsDir, 'ca.pem'), ca.certPem, 0o644);
  await ensureServerCertificate(ca, layout.vaultTlsDir, 'vault', ['vault'], log);

  const postgresTls = path.join(layout.postgresDir, 'tls');
  fs.mkdirSync(postgresTls, { recursive: true, mode: 0o750 });
  await ensureServerCertificate(ca, postgresTls, 'postgres', ['postgres'], log);

  // PostgreSQL reads it once, when it creates its cluster; later runs keep the same one.
  const passwordFile = path.join(layout.postgresDir, 'password');
  if (!fs.existsSync(passwordFile)) {
    writeFile(passwordFile, randomBytes(32).toString('base64url'), SHARED_FILE_MODE);
    log('generated the PostgreSQL superuser password');
  }

  await initRedisSecrets(ca, log);
}

/**
 * Redis: a password (the gateway's REDIS_URL is built from it at start, see redis-url.mjs)
 * and a server certificate, so the counters and the revocation feed cross the network
 * encrypted and only to a client that knows the password. Redis reads the password from
 * `auth.conf` (an `include` of infra/docker/redis.conf): in a file, never on a command line
 * that `ps` or `docker inspect` would show.
 */
async function initRedisSecrets(ca, log) {
  const tlsDir = path.join(layout.redisDir, 'tls');
  fs.mkdirSync(tlsDir, { recursive: true, mode: 0o750 });
  writeFile(path.join(tlsDir, 'ca.pem'), ca.certPem, 0o644);
  await ensureServerCertificate(ca, tlsDir, 'redis', ['redis'], log);

  const passwordFile = path.join(layout.redisDir, 'password');
  if (!fs.existsSync(passwordFile)) {
    // base64url: nothing to escape in a URL or in redis.conf.
    writeFile(passwordFile, randomBytes(32).toString('base64url'), SHARED_FILE_MODE);
    log('generated the Redis password');
  }
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  writeFile(path.join(layout.redisDir, 'auth.conf'), `requirepass ${password}\n`, SHARED_FILE_MODE);
}
