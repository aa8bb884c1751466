import net from 'node:net';
import { PassThrough } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { createLogger } from '@citadel/observability';
import {
  clientErrorHandler,
  rawProblemResponse,
  refusalOf,
  refuseExpectation,
  refuseTunnel,
} from './client-error.js';

const logger = createLogger('gateway-test', 'silent');

/** Splits one raw HTTP/1.1 answer into status, lower-cased headers and parsed body. */
function parse(raw: string) {
  const [head, body] = raw.split('\r\n\r\n') as [string, string];
  const [statusLine, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return {
    status: Number(statusLine!.split(' ')[1]),
    headers,
    body: JSON.parse(body),
    rawBody: body,
  };
}

/** Sends exact bytes to a listening server and returns everything it answers. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

describe('rawProblemResponse', () => {
  it('is a complete problem+json answer with the security headers, closing the connection', () => {
    const answer = parse(rawProblemResponse(431, 'request headers are too large', 'a'.repeat(32)));
    expect(answer.status).toBe(431);
    expect(answer.headers).toMatchObject({
      'content-type': 'application/problem+json; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'strict-transport-security': expect.stringContaining('max-age='),
      'content-security-policy': expect.stringContaining("default-src 'none'"),
      connection: 'close',
    });
    expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.rawBody));
    expect(answer.body).toEqual({
      type: 'https://citadel.local/problems/request-header-fields-too-large',
      title: 'Request Header Fields Too Large',
      status: 431,
      detail: 'request headers are too large',
      trace_id: 'a'.repeat(32),
    });
  });
});

describe('refusalOf', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 431],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408],
    ['HPE_INVALID_METHOD', 400],
    ['HPE_UNEXPECTED_CONTENT_LENGTH', 400],
    ['HPE_INVALID_HEADER_TOKEN', 400],
    ['HPE_SOMETHING_NEW', 400],
    [undefined, 400],
  ])('%s → %i, always a 4xx', (code, status) => {
    expect(refusalOf(code).status).toBe(status);
  });
});

describe('clientErrorHandler', () => {
  const handler = clientErrorHandler(logger);
  const socket = () => {
    const stream = new PassThrough();
    const written: string[] = [];
    stream.on('data', (chunk: Buffer) => written.push(chunk.toString()));
    return { stream, written };
  };

  it('writes a problem for a parse error and closes the socket', async () => {
    const { stream, written } = socket();
    handler(Object.assign(new Error('Header overflow'), { code: 'HPE_HEADER_OVERFLOW' }), stream);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.destroyed).toBe(true);
    const answer = parse(written.join(''));
    expect(answer.status).toBe(431);
    expect(answer.body.trace_id).toMatch(/^[0-9a-f]{32}$/);
    // Nothing of the error itself reaches the client.
    expect(written.join('')).not.toMatch(/overflow|HPE_|Error/);
  });

  it('writes nothing to a reset connection, or once an answer has started', () => {
    const reset = socket();
    handler(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), reset.stream);
    expect(reset.written).toEqual([]);

    const started = socket();
    Object.assign(started.stream, { _httpMessage: { headersSent: true } });
    handler(Object.assign(new Error('bad'), { code: 'HPE_INVALID_METHOD' }), started.stream);
    expect(started.written).toEqual([]);
    expect(started.stream.destroyed).toBe(true);
  });
});

describe('on a real Fastify server', () => {
  let app: FastifyInstance;
  let port: number;

  beforeAll(async () => {
    app = Fastify({ clientErrorHandler: clientErrorHandler(logger) });
    app.get('/ping', async () => ({ ok: true }));
    app.server.on('connect', refuseTunnel);
    app.server.on('checkExpectation', refuseExpectation);
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as net.AddressInfo).port;
  });
  afterAll(() => app.close());

  it.each([
    [
      'oversized headers',
      431,
      `GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    ],
    ['an unknown method', 400, 'FOO /ping HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['CR/LF smuggled into a header', 400, 'GET /ping HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n'],
    [
      'Content-Length with Transfer-Encoding',
      400,
      'POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['CONNECT', 405, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n'],
    [
      'an unknown Expect',
      417,
      'GET /ping HTTP/1.1\r\nHost: x\r\nExpect: 999-nope\r\nConnection: close\r\n\r\n',
    ],
  ])('%s → %i problem+json', async (_name, status, bytes) => {
    const answer = parse(await exchange(port, bytes));
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({
      status,
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('a well-formed request is untouched', async () => {
    const raw = await exchange(port, 'GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
  });
});
