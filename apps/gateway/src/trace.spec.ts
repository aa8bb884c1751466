import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const APP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The gateway's tracing as it runs: a process started as the launcher starts the gateway
 * (`node --import dist/instrumentation.js`, the built app), serving a Fastify app with
 * `traceRequests`. Its handler answers with the request's trace id and the `traceparent` a
 * gRPC call it made would carry (what the global propagator injects from the active
 * context), and logs one line; its stdout is the log.
 */
const SERVER = `
  import Fastify from 'fastify';
  import { context, defaultTextMapSetter, propagation } from '@opentelemetry/api';
  import { createLogger } from '@citadel/observability';
  import { requestTraceId, traceRequests } from ${JSON.stringify(path.join(APP, 'dist/trace.js'))};
  const logger = createLogger('gateway', 'info', { write: (line) => process.stdout.write(line) });
  const app = Fastify();
  traceRequests(app, logger);
  app.post('/v1/orders', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    logger.info({ event: 'handler' }, 'in the handler');
    const next = {};
    propagation.inject(context.active(), next, defaultTextMapSetter);
    return { trace: requestTraceId(), traceparent: next.traceparent };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(JSON.stringify({ port: app.server.address().port }) + '\\n');
`;

describe('request tracing (the gateway process, instrumented)', () => {
  let child: ChildProcess;
  let port: number;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    child = spawn(
      process.execPath,
      ['--import', './dist/instrumentation.js', '--input-type=module', '-e', SERVER],
      { cwd: APP, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const complete = buffered.split('\n');
      buffered = complete.pop() ?? '';
      for (const line of complete)
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const deadline = Date.now() + 20_000;
    while (!lines.some((line) => typeof line.port === 'number')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('server not up');
      await setTimeout(20);
    }
    port = lines.find((line) => typeof line.port === 'number')!.port as number;
  }, 30_000);

  afterAll(() => {
    child.kill();
  });

  beforeEach(() => (lines.length = 0));

  /**
   * A real request. The body follows the headers a moment later, as over a network: the
   * request's context must still be active once it is parsed.
   */
  async function post(traceparent: string, payload: unknown = {}) {
    const response = await new Promise<{ headers: http.IncomingHttpHeaders; text: string }>(
      (resolve, reject) => {
        const request = http.request(
          { host: '127.0.0.1', port, path: '/v1/orders', method: 'POST' },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
            res.on('end', () => resolve({ headers: res.headers, text }));
          },
        );
        request.on('error', reject);
        request.setHeader('traceparent', traceparent);
        request.setHeader('content-type', 'application/json');
        request.flushHeaders();
        void setTimeout(20).then(() => request.end(JSON.stringify(payload)));
      },
    );
    const traceId = response.headers['x-trace-id'] as string;
    // The access line is written once the response is out.
    const deadline = Date.now() + 5_000;
    while (!lines.some((l) => l.event === 'http.request' && l.trace_id === traceId)) {
      if (Date.now() > deadline) break;
      await setTimeout(5);
    }
    return {
      traceId,
      json: JSON.parse(response.text) as { trace: string; traceparent: string },
    };
  }

  it("starts its own trace over a client's valid traceparent: header, handler, next hop, its log lines and the access line", async () => {
    const response = await post(`00-${TRACE_ID}-00f067aa0ba902b7-01`, { items: [] });
    const traceId = response.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe(TRACE_ID);
    expect(response.json.trace).toBe(traceId);
    // The next hop's parent is a span of this request's own trace, not the client's.
    expect(response.json.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(response.json.traceparent).not.toContain('00f067aa0ba902b7');
    expect(lines).toEqual([
      expect.objectContaining({ event: 'handler', trace_id: traceId, span_id: expect.any(String) }),
      expect.objectContaining({
        event: 'http.request',
        trace_id: traceId,
        span_id: expect.any(String),
        method: 'POST',
        route: '/v1/orders',
        status: 200,
        duration_ms: expect.any(Number),
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(TRACE_ID);
  });

  it('starts a trace when the header is missing or invalid, and names it everywhere', async () => {
    const response = await post('garbage');
    const traceId = response.traceId;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(response.json.trace).toBe(traceId);
    expect(lines.map((line) => line.trace_id)).toEqual([traceId, traceId]);
  });

  it('gives each request its own trace, even when clients send one traceparent', async () => {
    const traceparent = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
    const responses = await Promise.all([post(traceparent), post(traceparent), post(traceparent)]);
    const traces = responses.map((r) => r.traceId);
    expect(new Set(traces).size).toBe(3);
    expect(traces).not.toContain(TRACE_ID);
    // Each handler saw its own request's trace, not another's.
    expect(responses.map((r) => r.json.trace)).toEqual(traces);
  });
});
