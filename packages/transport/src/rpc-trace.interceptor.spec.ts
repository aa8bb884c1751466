import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { initTracing, type Tracing } from '@citadel/observability';
import {
  nextHopTraceparent,
  traceRpcCalls,
  type RpcHandledEvent,
} from './rpc-trace.interceptor.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const raw = { serialize: (value: Buffer) => value, deserialize: (value: Buffer) => value };
const SERVICE = {
  Echo: {
    path: '/citadel.test.v1.TestService/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: raw.serialize,
    requestDeserialize: raw.deserialize,
    responseSerialize: raw.serialize,
    responseDeserialize: raw.deserialize,
  },
} satisfies grpc.ServiceDefinition;

describe('traceRpcCalls', () => {
  let tracing: Tracing;
  let server: grpc.Server;
  let client: grpc.Client;
  const handled: RpcHandledEvent[] = [];
  /** The traceparent the handler would hand the next hop, found from its call's metadata. */
  let seen: string | undefined;

  beforeAll(async () => {
    tracing = initTracing('test');
    server = new grpc.Server({ interceptors: [traceRpcCalls((event) => handled.push(event))] });
    server.addService(SERVICE, {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        void (async () => {
          await Promise.resolve();
          seen = nextHopTraceparent(call.metadata);
          if (call.request.toString() === 'hang') return; // answers nobody
          if (call.request.toString() === 'deny') {
            callback({ code: grpc.status.PERMISSION_DENIED, details: 'no' });
          } else callback(null, call.request);
        })();
      },
    });
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

  function echo(
    body: string,
    traceparent?: string,
    options: grpc.CallOptions & { cancelAfterMs?: number } = {},
  ): Promise<grpc.StatusObject['code']> {
    const metadata = new grpc.Metadata();
    if (traceparent) metadata.set('traceparent', traceparent);
    return new Promise((resolve) => {
      const call = client.makeUnaryRequest(
        SERVICE.Echo.path,
        raw.serialize,
        raw.deserialize,
        Buffer.from(body),
        metadata,
        options,
        (error) => resolve(error ? error.code : grpc.status.OK),
      );
      if (options.cancelAfterMs) setTimeout(() => call.cancel(), options.cancelAfterMs);
    });
  }

  /** The server's report arrives after the client has its answer. */
  async function reported(): Promise<RpcHandledEvent | undefined> {
    for (let i = 0; i < 100 && handled.length === 0; i++) await sleep(5);
    return handled[0];
  }

  beforeEach(() => {
    handled.length = 0;
    seen = undefined;
  });

  it('gives the handler a server span continuing the caller trace, and reports the call', async () => {
    expect(await echo('hello', `00-${TRACE_ID}-00f067aa0ba902b7-01`)).toBe(grpc.status.OK);
    expect(seen).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(seen).not.toContain('00f067aa0ba902b7');
    const spanId = seen?.split('-')[2];
    expect(handled).toEqual([
      {
        method: 'Echo',
        caller: undefined,
        status: 'OK',
        code: 0,
        duration_ms: expect.any(Number),
        trace_id: TRACE_ID,
        span_id: spanId,
      },
    ]);
  });

  it('reports a call that outlived its deadline, which grpc-js answered by itself', async () => {
    const code = await echo('hang', `00-${TRACE_ID}-00f067aa0ba902b7-01`, {
      deadline: Date.now() + 100,
    });
    expect(code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(await reported()).toMatchObject({ status: 'DEADLINE_EXCEEDED', trace_id: TRACE_ID });
  });

  it('reports a call its caller gave up on', async () => {
    expect(await echo('hang', undefined, { cancelAfterMs: 50 })).toBe(grpc.status.CANCELLED);
    expect(await reported()).toMatchObject({ status: 'CANCELLED', code: grpc.status.CANCELLED });
    expect(handled).toHaveLength(1);
  });

  it('starts a trace for a call without one, and reports failures by status name', async () => {
    expect(await echo('deny')).toBe(grpc.status.PERMISSION_DENIED);
    expect(handled[0]).toMatchObject({ status: 'PERMISSION_DENIED', code: 7 });
    expect(handled[0]?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(seen).toContain(handled[0]?.trace_id);
  });
});
