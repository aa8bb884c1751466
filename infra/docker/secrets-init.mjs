// `citadel-init secrets`: the first one-shot step of docker-compose.yml, before Vault and
// PostgreSQL start. It makes at runtime, into volumes, everything that must never be in a
// file we commit or in an image layer:
//   - the server certificates of the infrastructure: Vault's (https://vault:8200),
//     PostgreSQL's (host `postgres`), Redis's (rediss://redis:6379) and the gateway's HTTPS
//     certificate for clients, so every connection that is not the mesh is encrypted and
//     checked too. They are signed by an infrastructure CA made in memory for the purpose,
//     whose private key is discarded once they are signed: it is never written anywhere,
//     so no volume holds a CA key. Its certificate alone goes to the `ca` volume, which
//     every container trusts. (The services' own mTLS certificates are not made here: Vault's
//     PKI engine issues them, for hours, from a root whose key stays inside Vault.)
//   - PostgreSQL's superuser password (POSTGRES_PASSWORD_FILE), 32 random bytes;
//   - Redis's password, for the gateway replicas' shared counters and revocation feed.
// Idempotent: certificates still valid for INFRA_RENEW_DAYS under the trusted CA are kept,
// passwords are kept. Renewal: when any infrastructure certificate is missing or within
// INFRA_RENEW_DAYS of its end, this step makes a new CA in memory and reissues all of them;
// the `ca` volume then trusts the new CA and the previous one, so containers that still
// serve or trust the old certificates keep working until they are restarted
// (docs/operations.md: `docker compose up -d --force-recreate` once a year).
import { randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pkiPaths, SERVICES } from '@citadel/config';
import { createCertificateAuthority, issueCertificate } from '@citadel/pki';
import { infrastructureCertificates, layout, SHARED_FILE_MODE } from './container-layout.mjs';

/** How long the infrastructure certificates last, and when they are reissued. */
export const INFRA_CERT_DAYS = 397;
export const INFRA_CA_DAYS = 825;
export const INFRA_RENEW_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

function writeFile(file, content, mode) {
  // A directory made here is readable by the group alone when it holds a secret.
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: mode & 0o004 ? 0o755 : 0o750 });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
}

/** The certificates of a PEM bundle, in order. */
function certificatesOf(pem) {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? []).map(
    (block) => new X509Certificate(block),
  );
}

/** Whether `file` holds a certificate signed by one of `cas` and valid for long enough. */
function stillGood(file, cas, now) {
  try {
    const cert = new X509Certificate(fs.readFileSync(file, 'utf8'));
    return (
      cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey)) &&
      Date.parse(cert.validTo) - now > INFRA_RENEW_DAYS * DAY_MS
    );
  } catch {
    return false;
  }
}

/**
 * The infrastructure certificates: kept while each is present and good; otherwise a CA is
 * made in memory, signs all of them, and is dropped. Returns whether it reissued.
 */
export async function ensureInfrastructureCertificates(
  log = (line) => process.stdout.write(`${line}\n`),
  now = Date.now(),
) {
  const certificates = infrastructureCertificates(layout);
  const trusted = fs.existsSync(layout.caFile)
    ? certificatesOf(fs.readFileSync(layout.caFile, 'utf8'))
    : [];
  const current = trusted.filter((ca) => Date.parse(ca.validTo) > now);
  if (
    certificates.every(
      ({ certFile, keyFile }) => fs.existsSync(keyFile) && stillGood(certFile, current, now),
    )
  ) {
    return false;
  }
  // Made, used and dropped here: only the certificate outlives this function.
  const ca = await createCertificateAuthority('Citadel Infrastructure CA', INFRA_CA_DAYS);
  for (const { name, dnsNames, certFile, keyFile } of certificates) {
    fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o750 });
    // Loopback too: each container's own health check connects to 127.0.0.1.
    const issued = await issueCertificate(ca, {
      commonName: name,
      dnsNames: [...dnsNames, 'localhost'],
      ipAddresses: ['127.0.0.1'],
      validDays: INFRA_CERT_DAYS,
    });
    writeFile(certFile, issued.certPem, 0o644);
    writeFile(keyFile, issued.keyPem, SHARED_FILE_MODE);
  }
  // The new CA first, then the one before it (its certificates may still be served by
  // containers that have not restarted yet); nothing older.
  const bundle = [ca.certPem, ...current.slice(0, 1).map((cert) => cert.toString())].join('');
  for (const file of [layout.caFile, ...certificates.map(({ caFile }) => caFile)]) {
    writeFile(file, bundle, 0o644);
  }
  log(
    `issued the infrastructure certificates (${certificates.map(({ name }) => name).join(', ')}) ` +
      `for ${INFRA_CERT_DAYS} days, from a CA whose key was never written`,
  );
  return true;
}

/**
 * What an older secrets-init left in the `pki` volume: the development CA and its key, and
 * a certificate and key per service. Services now get theirs from Vault's PKI engine, and no
 * CA key may stay on disk.
 */
function removeOldDevelopmentPki(log) {
  const pki = pkiPaths(layout.home);
  const old = [
    pki.caKey,
    ...SERVICES.filter((service) => service !== 'gateway').flatMap((service) => [
      pki.cert(service),
      pki.key(service),
    ]),
  ].filter((file) => fs.existsSync(file));
  for (const file of old) fs.rmSync(file);
  if (old.length) log(`removed the old development CA key and service keys (${old.length} files)`);
}

export async function initSecrets(log = (line) => process.stdout.write(`${line}\n`)) {
  removeOldDevelopmentPki(log);
  await ensureInfrastructureCertificates(log);

  // PostgreSQL reads it once, when it creates its cluster; later runs keep the same one.
  const passwordFile = path.join(layout.postgresDir, 'password');
  if (!fs.existsSync(passwordFile)) {
    writeFile(passwordFile, randomBytes(32).toString('base64url'), SHARED_FILE_MODE);
    log('generated the PostgreSQL superuser password');
  }

  initRedisPassword(log);
}

/**
 * Redis's password (the gateway's REDIS_URL is built from it at start, see redis-url.mjs),
 * so the counters and the revocation feed go only to a client that knows it. Redis reads it
 * from `auth.conf` (an `include` of infra/docker/redis.conf): in a file, never on a command
 * line that `ps` or `docker inspect` would show.
 */
function initRedisPassword(log) {
  const passwordFile = path.join(layout.redisDir, 'password');
  if (!fs.existsSync(passwordFile)) {
    // base64url: nothing to escape in a URL or in redis.conf.
    writeFile(passwordFile, randomBytes(32).toString('base64url'), SHARED_FILE_MODE);
    log('generated the Redis password');
  }
  const password = fs.readFileSync(passwordFile, 'utf8').trim();
  writeFile(path.join(layout.redisDir, 'auth.conf'), `requirepass ${password}\n`, SHARED_FILE_MODE);
}
