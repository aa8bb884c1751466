// The health check of every Citadel image (Dockerfile HEALTHCHECK, the Kubernetes
// readiness probe). Node built-ins and the service registry (@citadel/config, in every
// image); exit 0 means healthy.
//
// gateway:   GET /readyz over HTTPS, the certificate verified against the infrastructure
//            CA (CITADEL_CA_FILE). It is 200 only when auth and order answer their gRPC
//            health check over mTLS.
// gRPC services (auth, order, payment, ...): their only listener is mutual TLS; this probe holds no
//            service key (a service's key lives in its process's memory only, never on
//            disk). So the probe checks what it can prove without one: the port finishes a
//            TLS 1.3 handshake and presents a certificate from the mesh CA carrying this
//            service's SPIFFE ID. The mesh CA is the root of Vault's PKI engine, read from
//            Vault (`pki/ca/pem`, public, no token) over Vault's TLS (VAULT_ADDR,
//            VAULT_CACERT), as the service itself trusts it. The server then refuses the
//            probe for lacking a client certificate, which is the answer it should give.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Buffer } from 'node:buffer';
import { setTimeout } from 'node:timers';
import tls from 'node:tls';
import { URL } from 'node:url';

const SERVICE = process.env.CITADEL_SERVICE ?? '';
const TIMEOUT_MS = 4_000;
const CA_FILE = process.env.CITADEL_CA_FILE || '/citadel/ca/ca.pem';
/** Where Citadel's bootstrap mounts the PKI engine that issues the services' certificates. */
const PKI_MOUNT = 'pki';

function done(healthy, message) {
  process.stdout.write(`${SERVICE}: ${message}\n`);
  process.exit(healthy ? 0 : 1);
}

if (SERVICE === 'init') done(true, 'one-shot container, no listener to check');
const { DEFAULT_PORTS, serviceEnvName, spiffeId } = await import('@citadel/config');
if (!Object.hasOwn(DEFAULT_PORTS, SERVICE))
  done(false, `CITADEL_SERVICE must be one of ${Object.keys(DEFAULT_PORTS).join(', ')}`);

const port = Number(process.env[`${serviceEnvName(SERVICE)}_PORT`] || DEFAULT_PORTS[SERVICE]);
setTimeout(() => done(false, `no answer on port ${port} within ${TIMEOUT_MS} ms`), TIMEOUT_MS);

/** GET <VAULT_ADDR>/v1/pki/ca/pem, Vault's certificate checked against VAULT_CACERT. */
function fetchMeshCa(addr) {
  const url = new URL(`/v1/${PKI_MOUNT}/ca/pem`, addr);
  const vaultCa = process.env.VAULT_CACERT ? fs.readFileSync(process.env.VAULT_CACERT) : undefined;
  return new Promise((resolve, reject) => {
    (url.protocol === 'http:' ? http : https)
      .get(url, { ca: vaultCa, minVersion: 'TLSv1.2', timeout: 2_000 }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () =>
          response.statusCode === 200
            ? resolve(Buffer.concat(chunks))
            : reject(new Error(`${url}: HTTP ${response.statusCode}`)),
        );
      })
      .on('timeout', function () {
        this.destroy(new Error(`${url}: no answer`));
      })
      .on('error', (error) => reject(new Error(`${url}: ${error.message}`)));
  });
}

/**
 * The mesh CA, from Vault, kept in the container's /tmp for the next probe: while Vault is
 * away or sealed the services keep serving (with the certificates they hold), so their
 * probe must not fail with it. The copy is only a fallback; Vault's answer always wins.
 */
async function meshCa() {
  const addr = process.env.VAULT_ADDR;
  if (!addr) done(false, 'VAULT_ADDR is not set: the mesh CA is read from Vault');
  const cache = path.join(
    os.tmpdir(),
    `citadel-mesh-ca-${createHash('sha256').update(addr).digest('hex').slice(0, 16)}.pem`,
  );
  let pem;
  try {
    pem = await fetchMeshCa(addr);
  } catch (error) {
    if (fs.existsSync(cache)) return fs.readFileSync(cache);
    return done(false, error.message);
  }
  try {
    const temporary = `${cache}.${process.pid}`;
    fs.writeFileSync(temporary, pem, { mode: 0o600 });
    fs.renameSync(temporary, cache);
  } catch {
    // No writable /tmp: this probe still has Vault's answer; the next one asks again.
  }
  return pem;
}

if (SERVICE === 'gateway') {
  const ca = fs.readFileSync(CA_FILE);
  https
    .get(
      {
        host: '127.0.0.1',
        port,
        path: '/readyz',
        ca,
        servername: 'localhost',
        minVersion: 'TLSv1.3',
      },
      (response) => {
        response.resume();
        done(response.statusCode === 200, `GET /readyz: HTTP ${response.statusCode}`);
      },
    )
    .on('error', (error) => done(false, `GET /readyz: ${error.message}`));
} else {
  const expected = `URI:${spiffeId(SERVICE)}`;
  const ca = await meshCa();
  const socket = tls.connect(
    {
      host: '127.0.0.1',
      port,
      ca,
      servername: 'localhost',
      minVersion: 'TLSv1.3',
      ALPNProtocols: ['h2'],
      checkServerIdentity: (_host, cert) =>
        (cert.subjectaltname ?? '').split(', ').includes(expected)
          ? undefined
          : new Error(`the certificate is not ${expected}`),
    },
    () => {
      socket.destroy();
      done(true, `TLS 1.3 handshake on ${port}, certificate ${expected.slice(4)}`);
    },
  );
  socket.on('error', (error) => done(false, `port ${port}: ${error.message}`));
}
