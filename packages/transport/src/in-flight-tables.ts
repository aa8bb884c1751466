import http2 from 'node:http2';
import { createRequire } from 'node:module';

const INSTALLED = Symbol.for('citadel.inFlightTables');

/**
 * Keeps finished gRPC calls out of the old generation, once per process.
 *
 * Node's http2 sessions keep their open streams in a `Map` and their pending ones in a
 * `Set`; grpc-js keeps each connection's active calls in a `Set`. Every call adds to
 * them and deletes from them. A V8 `Map` or `Set` under that churn rehashes into a new
 * table every few dozen calls, and the table it leaves keeps a pointer to the new one,
 * along with the entries it held then (for iterators that may still walk it). Once one
 * such table is in the old generation, a young GC cannot tell it is dead: the next table
 * survives, then the one after it, and with them every stream and call they hold and all
 * that those reach. Each call's objects are then copied, promoted, and left for a full
 * GC. Measured on the gateway under read load: ~10 KB promoted per request, a
 * mark-compact every ~3 s, ~25% more CPU per request and twice the p99, once the first
 * table is promoted (5 to 45 s in). With these tables replaced: ~0.1 KB per request.
 *
 * The replacements hold the same entries without a V8 hash table that chains: open
 * streams by id in a dictionary-mode object (V8 rehashes those without linking the old
 * table to the new), pending streams and active calls in an array (there are as many as
 * calls in flight on one connection). They offer what Node and grpc-js call on them.
 * Each piece is replaced only where it is found as expected; anything else is left as it
 * is, and only the GC cost returns (bench/README.md, "Garbage collection").
 */
export function installInFlightTables(): void {
  const process_ = process as unknown as Record<symbol, boolean>;
  if (process_[INSTALLED]) return;
  process_[INSTALLED] = true;

  const connect = http2.connect;
  (http2 as { connect: typeof http2.connect }).connect = function (
    this: unknown,
    ...args: Parameters<typeof http2.connect>
  ) {
    const session = connect.apply(this, args);
    replaceSessionTables(session);
    return session;
  } as typeof http2.connect;

  for (const name of ['createServer', 'createSecureServer'] as const) {
    const create = http2[name] as (...args: unknown[]) => http2.Http2Server;
    (http2 as unknown as Record<string, unknown>)[name] = function (
      this: unknown,
      ...args: unknown[]
    ) {
      const server = create.apply(this, args);
      server.prependListener('session', replaceSessionTables);
      return server;
    };
  }

  replaceGrpcActiveCalls();
}

/** Node's per-session `streams` (id → stream) and `pendingStreams`, before any stream. */
function replaceSessionTables(session: object): void {
  const state = symbolValue(session, 'state') as
    { streams?: unknown; pendingStreams?: unknown } | undefined;
  if (!state || !isEmptyTable(state.streams)) return;
  state.streams = new StreamsById();
  if (isEmptyTable(state.pendingStreams)) state.pendingStreams = new ArraySet();
}

/** grpc-js's `Http2Transport.activeCalls`, set when a connection is made. */
function replaceGrpcActiveCalls(): void {
  let connector: { prototype: { createSession?: (...args: unknown[]) => Promise<unknown> } };
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve('@grpc/grpc-js');
    connector = (
      require(entry.replace(/index\.js$/, 'transport.js')) as {
        Http2SubchannelConnector: typeof connector;
      }
    ).Http2SubchannelConnector;
  } catch {
    return;
  }
  const createSession = connector?.prototype?.createSession;
  if (typeof createSession !== 'function') return;
  connector.prototype.createSession = function (this: unknown, ...args: unknown[]) {
    return createSession.apply(this, args).then((transport) => {
      const holder = transport as { activeCalls?: unknown };
      if (isEmptyTable(holder.activeCalls)) holder.activeCalls = new ArraySet();
      return transport;
    });
  };
}

function symbolValue(target: object, description: string): unknown {
  const key = Object.getOwnPropertySymbols(target).find((s) => s.description === description);
  return key === undefined ? undefined : (target as Record<symbol, unknown>)[key];
}

function isEmptyTable(value: unknown): boolean {
  const table = value as { size?: unknown; forEach?: unknown } | undefined;
  return (
    typeof table === 'object' &&
    table !== null &&
    table.size === 0 &&
    typeof table.forEach === 'function'
  );
}

/**
 * A `Map` from stream id to stream, for what Node's http2 asks of one: `get`, `set`,
 * `delete`, `has`, `size`, `forEach` (ids ascending, which is the order streams were
 * opened; an entry deleted during `forEach` and not yet visited is skipped).
 */
export class StreamsById<V> {
  private byId: Record<number, V> = Object.create(null) as Record<number, V>;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(id: number): V | undefined {
    return this.byId[id];
  }

  has(id: number): boolean {
    return id in this.byId;
  }

  set(id: number, value: V): this {
    if (!(id in this.byId)) this.count++;
    this.byId[id] = value;
    return this;
  }

  delete(id: number): boolean {
    if (!(id in this.byId)) return false;
    delete this.byId[id];
    this.count--;
    return true;
  }

  clear(): void {
    this.byId = Object.create(null) as Record<number, V>;
    this.count = 0;
  }

  forEach(visit: (value: V, id: number, map: this) => void, thisArg?: unknown): void {
    for (const key in this.byId) {
      // for-in skips keys deleted before they are reached.
      visit.call(thisArg, this.at(key), Number(key), this);
    }
  }

  *values(): IterableIterator<V> {
    for (const key in this.byId) yield this.at(key);
  }

  *keys(): IterableIterator<number> {
    for (const key in this.byId) yield Number(key);
  }

  *entries(): IterableIterator<[number, V]> {
    for (const key in this.byId) yield [Number(key), this.at(key)];
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries();
  }

  /** The value under a key for-in has just produced (so present). */
  private at(key: string): V {
    return this.byId[Number(key)] as V;
  }
}

/**
 * A `Set` over an array, for the few items in flight on one connection: `add`,
 * `delete`, `has`, `size`, `forEach` and iteration, in insertion order. An item deleted
 * during `forEach` or iteration and not yet visited is skipped, as with a `Set`; one
 * added meanwhile is not visited.
 */
export class ArraySet<T> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return this.items.includes(item);
  }

  add(item: T): this {
    if (!this.items.includes(item)) this.items.push(item);
    return this;
  }

  delete(item: T): boolean {
    const index = this.items.indexOf(item);
    if (index < 0) return false;
    this.items.splice(index, 1);
    return true;
  }

  clear(): void {
    this.items = [];
  }

  forEach(visit: (item: T, again: T, set: this) => void, thisArg?: unknown): void {
    for (const item of this) visit.call(thisArg, item, item, this);
  }

  *values(): IterableIterator<T> {
    for (const item of this.items.slice()) if (this.items.includes(item)) yield item;
  }

  keys(): IterableIterator<T> {
    return this.values();
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.values();
  }
}
