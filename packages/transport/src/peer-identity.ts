import type * as grpc from '@grpc/grpc-js';
import { serviceFromCertificate } from './mtls.js';

type CallWithAuthContext = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext'>;

/**
 * The service on the other end of a gRPC call, read from the verified client
 * certificate (the TLS handshake already checked it chains to the Citadel CA).
 */
export function callerServiceOf(call: CallWithAuthContext): string | undefined {
  const context = call.getAuthContext();
  if (context.transportSecurityType !== 'ssl') return undefined;
  return serviceFromCertificate(context.sslPeerCertificate);
}

/** `/citadel.order.v1.OrderService/CreateOrder` → `CreateOrder`. */
export function methodOf(call: { getPath(): string }): string {
  const path = call.getPath();
  return path.slice(path.lastIndexOf('/') + 1);
}
