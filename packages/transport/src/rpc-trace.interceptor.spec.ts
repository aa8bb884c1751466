import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { initTracing, type Tracing } from '@citadel/observability';
import { traceRpcCalls, type RpcHandledEvent } from './rpc-trace.interceptor.js';

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

/**
 * The interceptor's own report, whatever answers the call. jest's module loader bypasses
 * the hooks OpenTelemetry's grpc-js instrumentation patches through, so no server span is
 * active here: each call names its caller's trace (as a call refused before any handler
 * does); the instrumented path runs in a real process below.
 */
describe('traceRpcCalls', () => {
  let tracing: Tracing;
  let server: grpc.Server;
  let client: grpc.Client;
  const handled: RpcHandledEvent[] = [];

  beforeAll(async () => {
    // The W3C propagator and the context, as in a service; no instrumentation can patch here.
    tracing = initTracing('test', { instrumentations: [] });
    server = new grpc.Server({ interceptors: [traceRpcCalls((event) => handled.push(event))] });
    server.addService(SERVICE, {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        void (async () => {
          await Promise.resolve();
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
  });

  it("reports the call with its caller's trace", async () => {
    expect(await echo('hello', `00-${TRACE_ID}-00f067aa0ba902b7-01`)).toBe(grpc.status.OK);
    expect(await reported()).toEqual({
      method: 'Echo',
      caller: undefined,
      status: 'OK',
      code: 0,
      duration_ms: expect.any(Number),
      trace_id: TRACE_ID,
      span_id: undefined,
    });
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

  it('reports failures by status name; an invalid traceparent names no trace', async () => {
    expect(await echo('deny', 'garbage')).toBe(grpc.status.PERMISSION_DENIED);
    expect(await reported()).toMatchObject({
      status: 'PERMISSION_DENIED',
      code: 7,
      trace_id: undefined,
    });
  });
});

const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * A process started as a service is (`node --import` the ESM hook, then tracing, then the
 * app), with the built packages: a call made inside a request's span carries its trace by
 * itself (no traceparent passed), the handler runs inside a server span of that trace, and
 * the report names that server span.
 */
describe('traceRpcCalls in an instrumented process', () => {
  it("continues the caller's trace through the grpc-js instrumentation, and reports the server span", () => {
    const script = `
      import { context, trace } from '@opentelemetry/api';
      import { activeTraceFields, initTracing } from '@citadel/observability';
      const tracing = initTracing('test');
      // Loaded after the instrumentations are on, as main.js is.
      const grpc = await import('@grpc/grpc-js');
      const { traceRpcCalls } = await import(${JSON.stringify(path.join(PACKAGE, 'dist/index.js'))});
      const raw = (value) => value;
      const path = '/citadel.test.v1.TestService/Echo';
      const handled = [];
      let inHandler;
      const server = new grpc.Server({ interceptors: [traceRpcCalls((event) => handled.push(event))] });
      server.addService(
        { Echo: { path, requestStream: false, responseStream: false, requestSerialize: raw,
                  requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } },
        { Echo: (call, callback) => void (async () => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            inHandler = activeTraceFields();
            callback(null, call.request);
          })() },
      );
      const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0',
        grpc.ServerCredentials.createInsecure(), (error, bound) => error ? reject(error) : resolve(bound)));
      const client = new grpc.Client('127.0.0.1:' + port, grpc.credentials.createInsecure());
      const request = trace.getTracer('test').startSpan('request');
      const caller = request.spanContext();
      await context.with(trace.setSpan(context.active(), request), () => new Promise((resolve, reject) =>
        client.makeUnaryRequest(path, raw, raw, Buffer.from('hi'), new grpc.Metadata(), {},
          (error) => error ? reject(error) : resolve())));
      for (let i = 0; i < 200 && handled.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      client.close();
      server.forceShutdown();
      await tracing.shutdown();
      console.log(JSON.stringify({ caller: caller.traceId, callerSpan: caller.spanId, inHandler, handled }));
    `;
    const child = spawnSync(
      process.execPath,
      ['--import', '@citadel/observability/register', '--input-type=module', '-e', script],
      { cwd: PACKAGE, encoding: 'utf8', timeout: 30_000 },
    );
    expect(child.stderr).not.toMatch(/Error/);
    const seen = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as {
      caller: string;
      callerSpan: string;
      inHandler: { trace_id?: string; span_id?: string };
      handled: RpcHandledEvent[];
    };
    expect(seen.inHandler.trace_id).toBe(seen.caller);
    expect(seen.inHandler.span_id).toMatch(/^[0-9a-f]{16}$/);
    expect(seen.inHandler.span_id).not.toBe(seen.callerSpan);
    expect(seen.handled).toEqual([
      expect.objectContaining({
        method: 'Echo',
        status: 'OK',
        trace_id: seen.caller,
        span_id: seen.inHandler.span_id,
      }),
    ]);
  }, 40_000);
});
