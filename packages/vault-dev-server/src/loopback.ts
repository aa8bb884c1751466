import net from 'node:net';

/** 127.0.0.0/8, ::1 or `localhost`: addresses no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  // The IPv4-mapped form (::ffff:127.0.0.1) is what a dual-stack socket may report.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)?.[1];
  return mapped !== undefined && net.isIPv4(mapped) && mapped.startsWith('127.');
}

export class NonLoopbackBindError extends Error {
  override name = 'NonLoopbackBindError';
  constructor(host: string) {
    super(
      `vault-dev-server refuses to listen on "${host}": it is a development stand-in for Vault ` +
        'and binds only a loopback address (127.0.0.0/8, ::1 or localhost)',
    );
  }
}

export function assertLoopbackHost(host: string): void {
  if (!isLoopbackHost(host)) throw new NonLoopbackBindError(host);
}
