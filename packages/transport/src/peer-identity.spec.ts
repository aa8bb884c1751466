import { TLSSocket } from 'node:tls';
import { spiffeId } from '@citadel/config';
import { callerServiceOf } from './peer-identity.js';

/** A verified mTLS connection as grpc-js holds it, without a network. */
function connection(service: string, authorized = true) {
  const socket = Object.create(TLSSocket.prototype) as TLSSocket & { reads: number };
  socket.reads = 0;
  Object.assign(socket, {
    authorized,
    getPeerCertificate: () => {
      socket.reads++;
      return { subjectaltname: `URI:${spiffeId(service)}` };
    },
  });
  return socket;
}

/** A grpc-js server call on that connection (its internal call → stream → session). */
function callOn(socket: TLSSocket) {
  return {
    call: { stream: { session: { socket } } },
    getAuthContext: () => {
      throw new Error('the connection was reachable; the per-call path must not be used');
    },
  };
}

describe('caller identity', () => {
  it('reads the certificate once per connection, not once per call', () => {
    const order = connection('order');
    for (let i = 0; i < 3; i++) expect(callerServiceOf(callOn(order))).toBe('order');
    expect(order.reads).toBe(1);
  });

  it('never lends one connection’s identity to another', () => {
    const order = connection('order');
    const analytics = connection('analytics');
    expect(callerServiceOf(callOn(order))).toBe('order');
    expect(callerServiceOf(callOn(analytics))).toBe('analytics');
    expect(callerServiceOf(callOn(order))).toBe('order');
  });

  it('reaches the connection through server interceptors, and from an interceptor', () => {
    const order = connection('order');
    const behindInterceptors = {
      call: { nextCall: { nextCall: { stream: { session: { socket: order } } } } },
      getAuthContext: callOn(order).getAuthContext,
    };
    expect(callerServiceOf(behindInterceptors)).toBe('order');
    const baseCall = { stream: { session: { socket: order } } };
    expect(callerServiceOf({ ...baseCall, getAuthContext: callOn(order).getAuthContext })).toBe(
      'order',
    );
    expect(order.reads).toBe(1);
  });

  it('gives no identity to a connection whose certificate the handshake did not verify', () => {
    expect(callerServiceOf(callOn(connection('order', false)))).toBeUndefined();
  });

  it('falls back to the auth context when the connection cannot be reached', () => {
    const call = {
      getAuthContext: () => ({
        transportSecurityType: 'ssl',
        sslPeerCertificate: { subjectaltname: `URI:${spiffeId('payment')}` },
      }),
    };
    expect(callerServiceOf(call as never)).toBe('payment');
    expect(callerServiceOf({ getAuthContext: () => ({}) } as never)).toBeUndefined();
  });
});
