import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ArraySet, installInFlightTables, StreamsById } from './in-flight-tables.js';

describe('StreamsById', () => {
  it('answers as a Map of stream ids does', () => {
    const table = new StreamsById<string>();
    expect(table.set(3, 'c').set(1, 'a').set(5, 'e').set(3, 'c2')).toBe(table);
    expect(table.size).toBe(3);
    expect([table.get(3), table.get(7), table.has(1), table.has(7)]).toEqual([
      'c2',
      undefined,
      true,
      false,
    ]);
    expect([table.delete(1), table.delete(1), table.size]).toEqual([true, false, 2]);
    expect([...table]).toEqual([
      [3, 'c2'],
      [5, 'e'],
    ]);
    table.clear();
    expect([table.size, [...table.values()]]).toEqual([0, []]);
  });

  it('visits ids in the order streams open, skipping those deleted before their turn', () => {
    const table = new StreamsById<string>();
    for (const id of [1, 3, 5, 7]) table.set(id, `s${id}`);
    const visited: number[] = [];
    table.forEach((_stream, id) => {
      visited.push(id);
      // What stream.destroy() does to Node's table while the session destroys them all.
      table.delete(id);
      if (id === 3) table.delete(5);
    });
    expect(visited).toEqual([1, 3, 7]);
    expect(table.size).toBe(0);
  });
});

describe('ArraySet', () => {
  it('answers as a Set does', () => {
    const set = new ArraySet<object>();
    const [a, b] = [{}, {}];
    expect(set.add(a).add(b).add(a)).toBe(set);
    expect([set.size, set.has(a), set.has({})]).toEqual([2, true, false]);
    expect([set.delete(a), set.delete(a), set.size, [...set]]).toEqual([true, false, 1, [b]]);
  });

  it('skips items deleted before their turn and does not visit items added meanwhile', () => {
    const set = new ArraySet<string>();
    for (const item of ['a', 'b', 'c']) set.add(item);
    const visited: string[] = [];
    set.forEach((item) => {
      visited.push(item);
      if (item === 'a') set.delete('b');
      set.add('late');
    });
    expect(visited).toEqual(['a', 'c']);
  });
});

describe('installInFlightTables', () => {
  const original = {
    connect: http2.connect,
    createServer: http2.createServer,
    createSecureServer: http2.createSecureServer,
  };
  beforeAll(() => installInFlightTables());
  // Jest runs other spec files in this process: they get Node's own http2 back.
  afterAll(() => Object.assign(http2, original));

  /** Node's private per-session state, found by its symbol's description. */
  const stateOf = (session: object): { streams: unknown; pendingStreams: unknown } => {
    const key = Object.getOwnPropertySymbols(session).find((s) => s.description === 'state');
    const state = key && (session as Record<symbol, unknown>)[key];
    if (!state) throw new Error('no http2 session state');
    return state as { streams: unknown; pendingStreams: unknown };
  };

  /** Destroys a client session and waits until each of `streams` has closed. */
  const destroyAndWait = async (
    client: http2.ClientHttp2Session,
    streams: http2.ClientHttp2Stream[],
  ) => {
    const closed = streams.map((stream) => new Promise((resolve) => stream.on('close', resolve)));
    for (const stream of streams) stream.on('error', () => undefined);
    client.on('error', () => undefined);
    client.destroy(new Error('gone'));
    await Promise.all(closed);
  };

  it('gives every http2 session, client and server, the chain-free tables', async () => {
    const server = http2.createServer();
    const serverSessions: http2.ServerHttp2Session[] = [];
    server.on('session', (session) => serverSessions.push(session));
    server.on('stream', (stream) => stream.respond({ ':status': 200 }, { endStream: true }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const statuses = await Promise.all(
        Array.from(
          { length: 200 },
          () =>
            new Promise<number>((resolve, reject) => {
              const stream = client.request({ ':path': '/' }, { endStream: true });
              stream.on('response', (headers) => resolve(Number(headers[':status'])));
              stream.on('error', reject);
              stream.resume();
            }),
        ),
      );
      expect(new Set(statuses)).toEqual(new Set([200]));
      expect(stateOf(client).streams).toBeInstanceOf(StreamsById);
      expect(stateOf(client).pendingStreams).toBeInstanceOf(ArraySet);
      expect(stateOf(serverSessions[0]!).streams).toBeInstanceOf(StreamsById);
    } finally {
      client.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('still ends the streams in flight when a session is destroyed', async () => {
    const server = http2.createServer();
    // Never answers; the client's destroy resets what is open.
    server.on('stream', (stream) => stream.on('error', () => undefined));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const streams = [1, 2, 3].map(() => client.request({ ':path': '/' }, { endStream: true }));
      await new Promise((resolve) => streams[2]!.once('ready', resolve));
      await destroyAndWait(client, streams);
      expect(streams.map((stream) => stream.destroyed)).toEqual([true, true, true]);
      expect(stateOf(client).streams).toBeInstanceOf(StreamsById);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('still ends the streams still waiting for the connection when a session is destroyed', async () => {
    const server = http2.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      // Requested before the connection is up: Node holds them as pending streams.
      const streams = [1, 2, 3].map(() => client.request({ ':path': '/' }, { endStream: true }));
      expect(stateOf(client).pendingStreams).toBeInstanceOf(ArraySet);
      expect((stateOf(client).pendingStreams as ArraySet<unknown>).size).toBe(3);
      await destroyAndWait(client, streams);
      expect(streams.map((stream) => stream.destroyed)).toEqual([true, true, true]);
      expect((stateOf(client).pendingStreams as ArraySet<unknown>).size).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('leaves grpc-js calls working, their connection tracking calls in an ArraySet', async () => {
    const identity = (buffer: Buffer) => buffer;
    const method = {
      path: '/test.Echo/Echo',
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    };
    const server = new grpc.Server();
    server.addService(
      { echo: method },
      {
        echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) =>
          callback(null, call.request),
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const Client = grpc.makeGenericClientConstructor({ echo: method }, 'Echo');
    const client = new Client(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & {
      echo: (request: Buffer, done: (e: Error | null, r?: Buffer) => void) => void;
    };
    const tracked: string[] = [];
    const add = ArraySet.prototype.add;
    ArraySet.prototype.add = function (this: ArraySet<unknown>, item: unknown) {
      tracked.push((item as object).constructor.name);
      return add.call(this, item);
    };
    try {
      const answers = await Promise.all(
        ['a', 'b', 'c'].map(
          (text) =>
            new Promise<string>((resolve, reject) =>
              client.echo(Buffer.from(text), (error, response) =>
                error ? reject(error) : resolve(response!.toString()),
              ),
            ),
        ),
      );
      expect(answers).toEqual(['a', 'b', 'c']);
      expect(tracked.filter((name) => name === 'Http2SubchannelCall')).toHaveLength(3);
    } finally {
      ArraySet.prototype.add = add;
      client.close();
      server.forceShutdown();
    }
  });
});
