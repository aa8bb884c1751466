import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { spiffeId } from '@citadel/config';
import { initTracing, type Tracing } from '@citadel/observability';
import { callContextOf } from './call-context.js';
import type { Policy } from './caller-policy.js';
import { enforceEastWestPolicy, type DenialEvent } from './east-west.interceptor.js';
import { traceRpcCalls, type RpcHandledEvent } from './rpc-trace.interceptor.js';

const raw = { serialize: (value: Buffer) => value, deserialize: (value: Buffer) => value };
const method = (path: string) => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: raw.serialize,
  requestDeserialize: raw.deserialize,
  responseSerialize: raw.serialize,
  responseDeserialize: raw.deserialize,
});
const PAYMENT = {
  Charge: method('/citadel.payment.v1.PaymentService/Charge'),
  GetPayment: method('/citadel.payment.v1.PaymentService/GetPayment'),
  VerifyAudit: method('/citadel.payment.v1.PaymentService/VerifyAudit'),
} satisfies grpc.ServiceDefinition;
const CHECK = '/grpc.health.v1.Health/Check';
const WATCH = '/grpc.health.v1.Health/Watch';

const POLICY: Policy = {
  services: {
    payment: {
      order: ['citadel.payment.v1.PaymentService/Charge', 'grpc.health.v1.Health/Check'],
    },
  },
  operators: { auditor: ['citadel.payment.v1.PaymentService/VerifyAudit'] },
};

/**
 * Stands in for the TLS handshake, through public grpc-js API: the auth context of each
 * call carries the certificate of the identity its `x-test-identity` metadata names (none
 * when absent), as a verified mTLS connection's would.
 */
const certificateFromMetadata: grpc.ServerInterceptor = (_descriptor, call) => {
  let identity: string | undefined;
  class Certified extends grpc.ServerInterceptingCall {
    override getAuthContext(): ReturnType<grpc.ServerInterceptingCallInterface['getAuthContext']> {
      return identity
        ? {
            transportSecurityType: 'ssl',
            sslPeerCertificate: { subjectaltname: `URI:${spiffeId(identity)}` } as never,
          }
        : {};
    }
  }
  return new Certified(call, {
    start: (next) =>
      next({
        onReceiveMetadata: (metadata, nextMetadata) => {
          const value = metadata.get('x-test-identity')[0];
          identity = typeof value === 'string' ? value : undefined;
          nextMetadata(metadata);
        },
      }),
  });
};

describe('enforceEastWestPolicy (a grpc-js server interceptor)', () => {
  let server: grpc.Server;
  let client: grpc.Client;
  const denials: DenialEvent[] = [];
  const handled: RpcHandledEvent[] = [];
  /** The callers each handler ran for, with the context the interceptor handed it. */
  const ran: { path: string; caller: string | undefined }[] = [];

  let tracing: Tracing;

  beforeAll(async () => {
    // The W3C propagator, as in a service (no instrumentation can patch under jest).
    tracing = initTracing('payment', { instrumentations: [] });
    server = new grpc.Server({
      interceptors: [
        certificateFromMetadata,
        // As startGrpcService orders them: the trace observes, the policy decides first.
        traceRpcCalls((event) => handled.push(event)),
        enforceEastWestPolicy('payment', (event) => denials.push(event), POLICY),
      ],
    });
    const handler =
      (path: string) =>
      (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        ran.push({ path, caller: callContextOf(call)?.caller });
        callback(null, call.request);
      };
    server.addService(PAYMENT, {
      Charge: handler(PAYMENT.Charge.path),
      GetPayment: handler(PAYMENT.GetPayment.path),
      VerifyAudit: handler(PAYMENT.VerifyAudit.path),
    });
    new HealthImplementation({ '': 'SERVING' }).addToServer(server);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    server.forceShutdown();
    await tracing.shutdown();
  });

  beforeEach(() => {
    denials.length = 0;
    handled.length = 0;
    ran.length = 0;
  });

  const metadataOf = (identity: string | undefined, traceparent?: string) => {
    const metadata = new grpc.Metadata();
    if (identity) metadata.set('x-test-identity', identity);
    if (traceparent) metadata.set('traceparent', traceparent);
    return metadata;
  };

  /** A unary call with an empty request (what an empty health check request encodes to). */
  function unary(path: string, identity: string | undefined, traceparent?: string) {
    return new Promise<{ code: grpc.status; response?: Buffer }>((resolve) =>
      client.makeUnaryRequest(
        path,
        raw.serialize,
        raw.deserialize,
        Buffer.alloc(0),
        metadataOf(identity, traceparent),
        (error, response) => resolve(error ? { code: error.code } : { code: 0, response }),
      ),
    );
  }

  function watch(identity: string) {
    return new Promise<grpc.status>((resolve) => {
      const stream = client.makeServerStreamRequest(
        WATCH,
        raw.serialize,
        raw.deserialize,
        Buffer.alloc(0),
        metadataOf(identity),
      );
      // An allowed Watch would stream on: the first message means it got through.
      stream.on('data', () => {
        stream.cancel();
        resolve(grpc.status.OK);
      });
      stream.on('error', (error: grpc.ServiceError) => resolve(error.code));
    });
  }

  it('lets a granted caller through, with its identity in the handler’s call context', async () => {
    expect((await unary(PAYMENT.Charge.path, 'order')).code).toBe(grpc.status.OK);
    expect(ran).toEqual([{ path: PAYMENT.Charge.path, caller: 'order' }]);
    expect(denials).toEqual([]);
  });

  it('refuses a caller the policy does not name before any handler runs, and reports it under its trace', async () => {
    const traces = Array.from({ length: 20 }, () => randomBytes(16).toString('hex'));
    const outcomes = await Promise.all(
      traces.map((trace) =>
        unary(PAYMENT.Charge.path, 'analytics', `00-${trace}-00f067aa0ba902b7-01`),
      ),
    );
    expect(outcomes.map((outcome) => outcome.code)).toEqual(
      Array(20).fill(grpc.status.PERMISSION_DENIED),
    );
    expect(ran).toEqual([]);
    expect(denials).toHaveLength(20);
    expect(denials[0]).toEqual({
      callee: 'payment',
      caller: 'analytics',
      method: 'Charge',
      reason: 'caller-not-allowed',
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    // Each denial joins its caller's trace (inside the mesh, a caller's trace is continued).
    expect(denials.map((denial) => denial.traceId).sort()).toEqual([...traces].sort());
    // Without a traceparent, a refusal names no trace: no handler, so no server span.
    await unary(PAYMENT.Charge.path, 'analytics');
    expect(denials[20]?.traceId).toBeUndefined();
  });

  it('grants methods by their full name: order may Charge, not GetPayment', async () => {
    expect((await unary(PAYMENT.GetPayment.path, 'order')).code).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    expect(ran).toEqual([]);
    expect(denials[0]).toMatchObject({ method: 'GetPayment', reason: 'method-not-allowed' });
  });

  it('refuses a call with no Citadel identity as UNAUTHENTICATED', async () => {
    expect((await unary(PAYMENT.Charge.path, undefined)).code).toBe(grpc.status.UNAUTHENTICATED);
    expect(ran).toEqual([]);
    expect(denials[0]).toMatchObject({ caller: undefined, reason: 'no-workload-identity' });
  });

  it('stands in front of the health service too, which Nest never routes', async () => {
    const [analytics, order] = await Promise.all([
      unary(CHECK, 'analytics'),
      unary(CHECK, 'order'),
    ]);
    expect(analytics.code).toBe(grpc.status.PERMISSION_DENIED);
    // HealthCheckResponse { status: SERVING }.
    expect(order).toEqual({ code: grpc.status.OK, response: Buffer.from([0x08, 0x01]) });
    expect(await watch('analytics')).toBe(grpc.status.PERMISSION_DENIED);
    expect(await watch('order')).toBe(grpc.status.PERMISSION_DENIED);
    expect(denials.map((denial) => denial.method)).toEqual([
      'grpc.health.v1.Health/Check',
      'grpc.health.v1.Health/Watch',
      'grpc.health.v1.Health/Watch',
    ]);
  });

  it('lets an operator identity call exactly its methods', async () => {
    expect((await unary(PAYMENT.VerifyAudit.path, 'auditor')).code).toBe(grpc.status.OK);
    expect((await unary(PAYMENT.Charge.path, 'auditor')).code).toBe(grpc.status.PERMISSION_DENIED);
    expect(ran).toEqual([{ path: PAYMENT.VerifyAudit.path, caller: 'auditor' }]);
  });

  it('leaves the refusal in the access log, with the caller its certificate named', async () => {
    await unary(
      PAYMENT.Charge.path,
      'analytics',
      `00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-00f067aa0ba902b7-01`,
    );
    for (let i = 0; i < 100 && handled.length === 0; i++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(handled[0]).toMatchObject({
      method: 'Charge',
      caller: 'analytics',
      status: 'PERMISSION_DENIED',
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(denials[0]?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
});
