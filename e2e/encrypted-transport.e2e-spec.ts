// Attack point 5 (the README's attack table): traffic intercepted between services. Every hop is TLS 1.3,
// the gateway included; there is no plaintext listener to fall back to.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { e2eState } from './support/state.js';

function handshake(port: number, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, servername: 'localhost', ...options },
      () => {
        const protocol = socket.getProtocol() ?? 'unknown';
        socket.destroy();
        resolve(protocol);
      },
    );
    socket.on('error', (error: NodeJS.ErrnoException) =>
      resolve(`refused: ${error.code ?? error.message}`),
    );
  });
}

describe('attack 5: interception between hops', () => {
  const state = e2eState();
  const ca = fs.readFileSync(state.caFile);
  const ports = () => Object.entries(state.ports);
  /**
   * Who vouches for a port: the gateway's HTTPS certificate (the edge CA, name localhost),
   * or a service's mesh certificate (Vault's PKI engine, name `<service>.citadel.local`).
   */
  const trustFor = (service: string): tls.ConnectionOptions =>
    service === 'gateway'
      ? { ca }
      : { ca: fs.readFileSync(state.mesh.ca), servername: `${service}.citadel.local` };

  it('the gateway answers plaintext HTTP with nothing usable', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const request = http.get(
        { host: '127.0.0.1', port: state.ports.gateway, path: '/v1/products', timeout: 3_000 },
        (response) => {
          response.resume();
          resolve(`HTTP ${response.statusCode}`);
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => resolve(`refused: ${error.code}`));
      request.on('timeout', () => request.destroy(new Error('timeout')));
    });
    expect(outcome).not.toMatch(/^HTTP 2/);
  });

  it.each(['gateway', 'auth', 'order', 'payment'])('%s refuses TLS 1.2', async (service) => {
    const port = state.ports[service as keyof typeof state.ports];
    expect(await handshake(port, { ...trustFor(service), maxVersion: 'TLSv1.2' })).toMatch(
      /^refused/,
    );
  });

  it('every port negotiates TLS 1.3 with a certificate from its CA', async () => {
    for (const [service, port] of ports()) {
      expect(await handshake(port, { ...trustFor(service), minVersion: 'TLSv1.3' })).toBe(
        'TLSv1.3',
      );
    }
  });

  it('a gRPC port spoken to in cleartext HTTP/2 does not answer', async () => {
    const reply = await new Promise<string>((resolve) => {
      const socket = net.connect(state.ports.order, '127.0.0.1', () => {
        socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
      });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString('latin1')));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
      socket.setTimeout(2_000, () => socket.destroy());
    });
    expect(reply).not.toContain('HTTP/2');
    expect(reply).not.toMatch(/grpc/i);
  });
});
