import { TLSSocket } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import { serviceFromCertificate } from './mtls.js';

type CallWithAuthContext = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'getAuthContext'>;

/**
 * The caller of each mTLS connection, read once per connection. A TLS 1.3 connection's
 * peer certificate is fixed at its handshake (no renegotiation), while grpc-js's
 * `getAuthContext()` rebuilds the whole certificate object (fingerprints included) on
 * every call: the largest part of what mTLS costs a server per request. Keyed by the
 * socket object itself, so an entry dies with its connection and is never shared.
 */
const callerByConnection = new WeakMap<TLSSocket, string | undefined>();

interface InterceptingCallLayer {
  call?: InterceptingCallLayer;
  nextCall?: InterceptingCallLayer;
  stream?: { session?: { socket?: unknown } };
}

/**
 * The TLS socket under a grpc-js server call, through grpc-js internals (1.14: a handler's
 * call holds the intercepting call chain, each server interceptor's layer its next one,
 * down to the base call with the HTTP/2 stream and its session). Read defensively: if the
 * shape ever differs, the caller is read through the public `getAuthContext()` instead,
 * correct and only slower.
 */
function tlsSocketOf(call: object): TLSSocket | undefined {
  let layer: InterceptingCallLayer | undefined = (call as InterceptingCallLayer).call ?? call;
  for (let depth = 0; layer && depth < 8; depth++) {
    if (layer.stream) {
      const socket = layer.stream.session?.socket;
      return socket instanceof TLSSocket ? socket : undefined;
    }
    layer = layer.nextCall;
  }
  return undefined;
}

/**
 * The service on the other end of a gRPC call, read from the verified client
 * certificate (the TLS handshake already checked it chains to the Citadel CA).
 */
export function callerServiceOf(call: CallWithAuthContext): string | undefined {
  const socket = tlsSocketOf(call);
  if (!socket) {
    const context = call.getAuthContext();
    if (context.transportSecurityType !== 'ssl') return undefined;
    return serviceFromCertificate(context.sslPeerCertificate);
  }
  if (callerByConnection.has(socket)) return callerByConnection.get(socket);
  // As grpc-js does: only a certificate the handshake verified against the CA counts.
  const caller = socket.authorized
    ? serviceFromCertificate(socket.getPeerCertificate())
    : undefined;
  callerByConnection.set(socket, caller);
  return caller;
}

/** `/citadel.order.v1.OrderService/CreateOrder` → `CreateOrder`. */
export function methodOf(call: { getPath(): string }): string {
  const path = call.getPath();
  return path.slice(path.lastIndexOf('/') + 1);
}
