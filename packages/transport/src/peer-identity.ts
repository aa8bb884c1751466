import type * as grpc from '@grpc/grpc-js';
import { serviceFromCertificate } from './mtls.js';

/**
 * The service on the other end of a gRPC call, read from the client certificate the TLS
 * handshake verified against the Citadel CA, through grpc-js's public auth context (it
 * reports no certificate for a connection the handshake did not authorize). Never from
 * anything the caller says: metadata is the caller's to write.
 */
export function callerServiceOf(
  call: Pick<grpc.ServerInterceptingCallInterface, 'getAuthContext'>,
): string | undefined {
  const context = call.getAuthContext();
  if (context.transportSecurityType !== 'ssl') return undefined;
  return serviceFromCertificate(context.sslPeerCertificate);
}

/** Each call's caller, by the metadata it arrived with: read once per call. */
const callers = new WeakMap<grpc.Metadata, string | undefined>();

/**
 * {@link callerServiceOf}, read once per call: the east-west interceptor reads it, the
 * access log (rpc-trace.interceptor.ts) reuses it, keyed by the call's request metadata.
 */
export function callerOfCall(
  call: Pick<grpc.ServerInterceptingCallInterface, 'getAuthContext'>,
  metadata: grpc.Metadata,
): string | undefined {
  if (callers.has(metadata)) return callers.get(metadata);
  const caller = callerServiceOf(call);
  callers.set(metadata, caller);
  return caller;
}

/** `/citadel.order.v1.OrderService/CreateOrder` → `CreateOrder`. */
export function methodOf(call: { getPath(): string }): string {
  const path = call.getPath();
  return path.slice(path.lastIndexOf('/') + 1);
}
