import net from 'node:net';

/**
 * Ports handed out are drawn from below every common OS's ephemeral range (Linux starts
 * at 32768, macOS and Windows at 49152). A port the OS picks for `listen(0)` comes from
 * that range, which is also where every outgoing connection takes its local port: between
 * the check and the service's own `listen`, one of the system's own connections (a gRPC
 * channel, the load generator) could take it, and the service would fail with EADDRINUSE.
 */
const RANGE = { from: 20_000, to: 32_767 } as const;
const ATTEMPTS = 50;
/** Ports this process handed out already: not handed out twice, bound yet or not. */
const handedOut = new Set<number>();

/**
 * A port that is free on loopback right now and that this process has not handed out
 * before (the e2e suite and the bench boot on these).
 */
export async function freePort(): Promise<number> {
  if (handedOut.size > 5_000) handedOut.clear();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = RANGE.from + Math.floor(Math.random() * (RANGE.to - RANGE.from + 1));
    if (handedOut.has(port) || (await listenOnce(port)) === undefined) continue;
    handedOut.add(port);
    return port;
  }
  // Practically unreachable (the range is ~12,800 ports): let the OS choose.
  const port = await listenOnce(0);
  if (port === undefined) throw new Error('no free loopback port');
  return port;
}

/** A free loopback port for each of `names` (e.g. every service of the registry). */
export async function freePorts<N extends string>(names: readonly N[]): Promise<Record<N, number>> {
  const ports = {} as Record<N, number>;
  for (const name of names) ports[name] = await freePort();
  return ports;
}

/** Listens on `port` (0: any) and closes again: the port it got, or undefined if taken. */
function listenOnce(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(bound));
    });
  });
}
