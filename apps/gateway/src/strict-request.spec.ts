import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { HttpException } from '@nestjs/common';
import {
  enforceStrictRequests,
  jsonRefusal,
  MAX_JSON_DEPTH,
  nestingDepth,
  queryRefusal,
} from './strict-request.js';

describe('nestingDepth', () => {
  it.each([
    ['{}', 1],
    ['{"items":[{"sku":"A","quantity":1}]}', 3],
    ['"[[[[["', 0],
    ['{"a":"\\"[[[[","b":[1]}', 2],
    [`${'['.repeat(5000)}${']'.repeat(5000)}`, 5000],
  ])('%s nests %i deep', (json, depth) => {
    expect(nestingDepth(json)).toBe(depth);
  });
});

describe('jsonRefusal', () => {
  it('accepts UTF-8 (declared or not) and refuses any other charset with 415', () => {
    expect(jsonRefusal('application/json', '{}')).toBeUndefined();
    expect(jsonRefusal('application/json; charset=UTF-8', '{}')).toBeUndefined();
    for (const type of [
      'application/json; charset=utf-16',
      'application/json;charset="UTF-16LE"',
      'application/json; charset=iso-8859-1',
    ]) {
      expect(jsonRefusal(type, '{}')?.getStatus()).toBe(415);
    }
  });

  it(`refuses a body nested deeper than ${MAX_JSON_DEPTH} with 400`, () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expect(jsonRefusal('application/json', deep(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonRefusal('application/json', deep(MAX_JSON_DEPTH + 1))?.getStatus()).toBe(400);
  });
});

describe('queryRefusal', () => {
  it('names plain parameter names and never echoes anything else', () => {
    const refusal = queryRefusal({ debug: '1', "' OR 1=1--": 'x' }) as HttpException;
    expect(refusal.getStatus()).toBe(400);
    expect(refusal.getResponse()).toEqual({
      message: 'request validation failed',
      errors: [
        { field: 'debug', message: 'unknown query parameter' },
        { field: '(query parameter)', message: 'unknown query parameter' },
      ],
    });
    expect(queryRefusal({})).toBeUndefined();
  });
});

describe('enforceStrictRequests on Fastify', () => {
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    app = Fastify();
    enforceStrictRequests(app);
    app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
      const status = error instanceof HttpException ? error.getStatus() : (error.statusCode ?? 500);
      void reply.status(status).send({ status });
    });
    app.post('/echo', async (request) => request.body);
    app.get('/plain', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  const post = (body: string, contentType = 'application/json') =>
    fetch(`${base}/echo`, { method: 'POST', body, headers: { 'content-type': contentType } });

  it('parses plain JSON', async () => {
    const response = await post('{"a":[1]}');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ a: [1] });
  });

  it.each([
    ['a body nested 5,000 deep', 400, `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`],
    ['__proto__', 400, '{"__proto__":{"admin":true}}'],
    ['constructor.prototype', 400, '{"constructor":{"prototype":{"admin":true}}}'],
    ['UTF-16 declared', 415, '{}', 'application/json; charset=utf-16'],
    ['malformed JSON', 400, '{"a":'],
  ])('%s → %i', async (_name, status, body, type = 'application/json') => {
    expect((await post(body, type)).status).toBe(status);
  });

  it('refuses an undeclared query parameter, but not on a route miss', async () => {
    expect((await fetch(`${base}/plain?debug=1`)).status).toBe(400);
    expect((await fetch(`${base}/plain`)).status).toBe(200);
    expect((await fetch(`${base}/missing?debug=1`)).status).toBe(404);
  });
});
