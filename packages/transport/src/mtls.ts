import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { serviceFromSpiffeId, spiffeId } from '@citadel/config';
import { WorkloadIdentity } from './workload-identity.js';

/** A service's TLS material: the Citadel CA, its certificate and its private key (from Vault). */
export interface ServiceTls {
  service: string;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/**
 * Attack point 5: no protocol older than TLS 1.3 on any hop. Set once per process before
 * any listener or channel exists; grpc-js and node:https both honour it.
 */
export function enforceTls13(): void {
  tls.DEFAULT_MIN_VERSION = 'TLSv1.3';
}

/**
 * A service's mTLS identity: fixed material (tests, operator tools), or a
 * {@link WorkloadIdentity} that Vault renews while the process runs (every service).
 */
export type MeshIdentity = ServiceTls | WorkloadIdentity;

const isRotating = (identity: MeshIdentity): identity is WorkloadIdentity =>
  identity instanceof WorkloadIdentity;

/**
 * Server side of mTLS: a client certificate signed by the mesh CA is required. With a
 * rotating identity, grpc-js swaps the server's secure context at each renewal.
 */
export function serverCredentials(identity: MeshIdentity): grpc.ServerCredentials {
  if (isRotating(identity)) {
    return grpc.experimental.createCertificateProviderServerCredentials(identity, identity, true);
  }
  return grpc.ServerCredentials.createSsl(
    identity.ca,
    [{ cert_chain: identity.cert, private_key: identity.key }],
    true,
  );
}

/**
 * How long a server keeps one client connection open: under a third of its certificate's
 * life. TLS checks certificates at the handshake only, so an HTTP/2 connection would
 * otherwise outlive the certificates it was opened with. Both ends renew at two thirds of
 * a certificate's life, so at any handshake each certificate has at least a third of its
 * life left; a connection closed within that third never carries an identity past its
 * expiry. 0.9 of a third leaves room for grpc-js's ±10% jitter. The server ends a connection
 * with a GOAWAY that still accepts every stream the client had sent; the client opens a new
 * connection (with the current certificates) for what comes next. Fixed material (tests)
 * gets no limit.
 */
export function connectionMaxAgeMs(identity: MeshIdentity): number | undefined {
  if (!isRotating(identity)) return undefined;
  const { notBefore, notAfter } = identity.material;
  return Math.max(1_000, Math.floor(((notAfter - notBefore) / 3) * 0.9));
}

/** URI SANs of a peer certificate, from Node's `subjectaltname` string. */
export function uriSans(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName
    .split(', ')
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4));
}

/** The calling service, from its certificate's single Citadel SPIFFE ID, or undefined. */
export function serviceFromCertificate(
  cert: { subjectaltname?: string } | undefined,
): string | undefined {
  const ids = uriSans(cert?.subjectaltname).map(serviceFromSpiffeId);
  return ids.length === 1 ? ids[0] : undefined;
}

/**
 * Client side of mTLS: presents this service's certificate and, beyond the CA check,
 * insists that the server is the service we meant to call (its SPIFFE ID), so a
 * certificate stolen from one service cannot impersonate another.
 */
export function channelCredentials(
  identity: MeshIdentity,
  expectedServer: string,
): grpc.ChannelCredentials {
  const verify = {
    checkServerIdentity: (_host: string, cert: { subjectaltname?: string }) => {
      if (serviceFromCertificate(cert) !== expectedServer) {
        return new Error(`server is not ${spiffeId(expectedServer)}`);
      }
      return undefined;
    },
  };
  // Each new connection of the channel takes the identity's latest certificate.
  if (isRotating(identity)) {
    return grpc.experimental.createCertificateProviderChannelCredentials(
      identity,
      identity,
      verify,
    );
  }
  return grpc.ChannelCredentials.createSsl(identity.ca, identity.key, identity.cert, verify);
}
