import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { leanAsyncResourceBind } from './async-resource-bind.js';

describe('leanAsyncResourceBind', () => {
  const nodeBind = AsyncResource.prototype.bind;
  const als = new AsyncLocalStorage<string>();
  beforeAll(() => leanAsyncResourceBind());
  // Jest runs other spec files in this process: they get Node's own bind back.
  afterAll(() => {
    AsyncResource.prototype.bind = nodeBind;
  });

  /** A resource created inside `store`'s scope, and a bound function reading the store. */
  const boundIn = (store: string, thisArg?: unknown) =>
    als.run(store, () => {
      // Node's bind takes a thisArg; @types/node does not declare it.
      const bind = AsyncResource.prototype.bind as (fn: unknown, thisArg?: unknown) => unknown;
      return bind.call(
        new AsyncResource('test'),
        function (this: unknown, a: number, b: number) {
          return { store: als.getStore(), self: this, sum: a + b };
        },
        thisArg,
      ) as (this: unknown, a: number, b: number) => unknown;
    });

  it('replaces bind, once', () => {
    const lean = AsyncResource.prototype.bind;
    expect(lean).not.toBe(nodeBind);
    leanAsyncResourceBind();
    expect(AsyncResource.prototype.bind).toBe(lean);
  });

  it('runs the function in the scope the resource was made in, wherever it is called', () => {
    const bound = boundIn('request-1');
    const result = als.run('request-2', () => bound(1, 2));
    expect(result).toEqual({ store: 'request-1', self: undefined, sum: 3 });
  });

  it('passes `this` through, or the thisArg it was given, and keeps the length', () => {
    const receiver = { name: 'receiver' };
    const bound = boundIn('request-1');
    expect(bound.call(receiver, 2, 3)).toEqual({ store: 'request-1', self: receiver, sum: 5 });
    const fixed = boundIn('request-1', receiver);
    expect(fixed.call({ other: true }, 1, 1)).toEqual({
      store: 'request-1',
      self: receiver,
      sum: 2,
    });
    expect(bound.length).toBe(2);
  });

  it('no longer attaches the deprecated asyncResource property (DEP0172)', () => {
    expect(Object.getOwnPropertyDescriptor(boundIn('x'), 'asyncResource')).toBeUndefined();
  });

  it('refuses what is not a function with Node’s own error', () => {
    const resource = new AsyncResource('test');
    expect(() => resource.bind('nope' as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });

  it('serves the static AsyncResource.bind too', () => {
    const bound = als.run('request-1', () => AsyncResource.bind(() => als.getStore()));
    expect(als.run('request-2', () => bound())).toBe('request-1');
  });

  it('is what Node’s http2 client binds each request with, and the request goes through', async () => {
    const server = http2.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const lean = AsyncResource.prototype.bind;
    let binds = 0;
    AsyncResource.prototype.bind = function (this: AsyncResource, ...args: never[]) {
      binds++;
      return (lean as (...a: never[]) => unknown).apply(this, args);
    } as typeof lean;
    const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      // Made before the session connected: Node runs it on connect, through the bound function.
      const status = await new Promise<unknown>((resolve, reject) => {
        const stream = session.request({ ':path': '/' });
        stream.on('response', (headers) => resolve(headers[':status']));
        stream.on('error', reject);
        stream.resume();
        stream.end();
      });
      expect(status).toBe(200);
      expect(binds).toBeGreaterThanOrEqual(1);
    } finally {
      AsyncResource.prototype.bind = lean;
      session.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
