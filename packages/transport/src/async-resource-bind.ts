import { AsyncResource } from 'node:async_hooks';

const LEAN = Symbol.for('citadel.leanAsyncResourceBind');

type Bind = (
  this: AsyncResource,
  fn: (...args: unknown[]) => unknown,
  thisArg?: unknown,
) => unknown;

/**
 * Makes `AsyncResource.prototype.bind` cheap again, once per process.
 *
 * Node 20's `bind` gives every function it returns an `asyncResource` property
 * (deprecated, DEP0172) whose getter and setter are two fresh `util.deprecate` wrappers.
 * Each wrapper re-parents a new function and builds its `prototype` object: ~12 µs per
 * `bind` here, against ~1 µs without them. Node's http2 client binds every request it
 * makes (`ClientHttp2Session.request`), so every gRPC call a process makes paid it: ~5% of
 * the gateway's CPU on the read path.
 *
 * The replacement is the same function without that property, which Node itself is
 * dropping (nodejs/node#58618): the bound function runs `fn` in the resource's async scope,
 * with the same `this`, arguments and `length`. Nothing in Citadel or its dependencies reads
 * the property. Where `bind` does not define it (a Node without it), nothing is replaced.
 */
export function leanAsyncResourceBind(): void {
  const proto = AsyncResource.prototype as unknown as { bind: Bind & { [LEAN]?: true } };
  const original = proto.bind;
  if (original[LEAN]) return;
  const probe = original.call(new AsyncResource('citadel.probe'), () => undefined);
  if (!Object.getOwnPropertyDescriptor(probe, 'asyncResource')) return;

  const bind: Bind = function bind(this: AsyncResource, fn, thisArg) {
    // Node's own argument check and error for anything but a function.
    if (typeof fn !== 'function') return original.call(this, fn, thisArg);
    return boundTo(this, fn, thisArg);
  };
  proto.bind = Object.assign(bind, { [LEAN]: true as const });
}

/** What Node's bind returns, minus the deprecated property. */
function boundTo(
  resource: AsyncResource,
  fn: (...args: unknown[]) => unknown,
  thisArg: unknown,
): (...args: unknown[]) => unknown {
  const bound =
    thisArg === undefined
      ? function (this: unknown, ...args: unknown[]) {
          return resource.runInAsyncScope(fn, this, ...args);
        }
      : resource.runInAsyncScope.bind(resource, fn, thisArg);
  Object.defineProperty(bound, 'length', { configurable: true, value: fn.length });
  return bound;
}
