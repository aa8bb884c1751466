// The health check of every Citadel image (Dockerfile HEALTHCHECK, the Kubernetes
// readiness probe). Node built-ins and the service registry (@citadel/config, in every
// image); exit 0 means healthy.
//
// gateway:   GET /readyz over HTTPS, the certificate verified against the Citadel CA.
//            It is 200 only when auth and order answer their gRPC health check over mTLS.
// gRPC services (auth, order, payment, ...): their only listener is mutual TLS; this probe holds no
//            service key (a service's key lives in Vault and in its process's memory, never
//            on disk). So the probe checks what it can prove without one: the port finishes
//            a TLS 1.3 handshake and presents a certificate from the Citadel CA carrying
//            this service's SPIFFE ID. The server then refuses the probe for lacking a
//            client certificate, which is the answer it should give.
import fs from 'node:fs';
import https from 'node:https';
import { setTimeout } from 'node:timers';
import tls from 'node:tls';

const SERVICE = process.env.CITADEL_SERVICE ?? '';
const TIMEOUT_MS = 4_000;
const CA_FILE = process.env.CITADEL_CA_FILE || '/citadel/ca/ca.pem';

function done(healthy, message) {
  process.stdout.write(`${SERVICE}: ${message}\n`);
  process.exit(healthy ? 0 : 1);
}

if (SERVICE === 'init') done(true, 'one-shot container, no listener to check');
const { DEFAULT_PORTS, serviceEnvName, spiffeId } = await import('@citadel/config');
if (!Object.hasOwn(DEFAULT_PORTS, SERVICE))
  done(false, `CITADEL_SERVICE must be one of ${Object.keys(DEFAULT_PORTS).join(', ')}`);

const port = Number(process.env[`${serviceEnvName(SERVICE)}_PORT`] || DEFAULT_PORTS[SERVICE]);
const ca = fs.readFileSync(CA_FILE);
setTimeout(() => done(false, `no answer on port ${port} within ${TIMEOUT_MS} ms`), TIMEOUT_MS);

if (SERVICE === 'gateway') {
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
