import net from 'node:net';

/** A port the OS reports free on loopback right now (the e2e suite boots on these). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A free loopback port for each of `names` (e.g. every service of the registry). */
export async function freePorts<N extends string>(names: readonly N[]): Promise<Record<N, number>> {
  const ports = {} as Record<N, number>;
  for (const name of names) ports[name] = await freePort();
  return ports;
}
