import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { serviceFromSpiffeId, spiffeId } from '@citadel/config';

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

/** Server side of mTLS: a client certificate signed by the Citadel CA is required. */
export function serverCredentials(material: ServiceTls): grpc.ServerCredentials {
  return grpc.ServerCredentials.createSsl(
    material.ca,
    [{ cert_chain: material.cert, private_key: material.key }],
    true,
  );
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
  material: ServiceTls,
  expectedServer: string,
): grpc.ChannelCredentials {
  return grpc.ChannelCredentials.createSsl(material.ca, material.key, material.cert, {
    checkServerIdentity: (_host, cert) => {
      if (serviceFromCertificate(cert) !== expectedServer) {
        return new Error(`server is not ${spiffeId(expectedServer)}`);
      }
      return undefined;
    },
  });
}
