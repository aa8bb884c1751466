import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { createCertificateAuthority, issueCertificate } from '@citadel/pki';
import { startVaultDevServer, type VaultDevServer } from './server.js';
import { looksLikePlainHttp, PLAIN_HTTP_TO_TLS_REPLY } from './tls-front.js';

interface Reply {
  status: number;
  body: string;
}

/** One HTTPS request that trusts only the throwaway CA. */
function httpsCall(
  server: VaultDevServer,
  ca: string,
  method: string,
  path: string,
  token?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${server.url}/v1/${path}`,
      { method, ca, headers: token ? { 'X-Vault-Token': token } : {} },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** Everything the server sends back to `raw` before it closes the connection. */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(raw));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

/** The negotiated protocol, or the handshake's error code. */
function handshake(port: number, ca: string, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', ca, ...options }, () => {
      resolve(socket.getProtocol() ?? 'none');
      socket.destroy();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('TLS listener (tls option)', () => {
  let ca: string;
  let server: VaultDevServer;
  beforeAll(async () => {
    const authority = await createCertificateAuthority('vault-dev-server spec CA', 1);
    const leaf = await issueCertificate(authority, { commonName: 'vault', validDays: 1 });
    ca = authority.certPem;
    server = await startVaultDevServer({
      port: 0,
      log: () => undefined,
      tls: { cert: leaf.certPem, key: leaf.keyPem },
    });
  });
  afterAll(() => server.close());

  it('serves the API over HTTPS, LIST included', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await httpsCall(server, ca, 'GET', 'sys/health');
    expect([health.status, JSON.parse(health.body).sealed]).toEqual([200, false]);
    const listed = await httpsCall(server, ca, 'LIST', 'sys/policies/acl', server.rootToken);
    expect([listed.status, JSON.parse(listed.body).data.keys]).toEqual([200, ['default', 'root']]);
  });

  it('answers plain HTTP as Go does, with nothing from the API, and closes', async () => {
    for (const request of [
      'GET /v1/sys/health HTTP/1.1\r\nHost: vault\r\n\r\n',
      `PUT /v1/sys/seal HTTP/1.1\r\nHost: vault\r\nX-Vault-Token: ${server.rootToken}\r\n\r\n`,
    ]) {
      expect(await rawExchange(server.port, request)).toBe(PLAIN_HTTP_TO_TLS_REPLY);
    }
    expect(PLAIN_HTTP_TO_TLS_REPLY).toBe(
      'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n',
    );
    // The seal request above never reached the API.
    expect((await httpsCall(server, ca, 'GET', 'sys/health')).status).toBe(200);
  });

  it('recognises the request starts Go recognises, and no others', () => {
    for (const start of ['GET /', 'HEAD ', 'POST ', 'PUT /', 'OPTIONS * HTTP/1.1']) {
      expect([start, looksLikePlainHttp(Buffer.from(start))]).toEqual([start, true]);
    }
    for (const start of ['LIST /', 'DELETE', '\x16\x03\x01\x02\x00']) {
      expect([start, looksLikePlainHttp(Buffer.from(start, 'latin1'))]).toEqual([start, false]);
    }
  });

  it('negotiates TLS 1.2 and 1.3 and refuses anything older', async () => {
    expect(await handshake(server.port, ca, {})).toBe('TLSv1.3');
    expect(await handshake(server.port, ca, { maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
    // minVersion TLSv1.2 is Vault's default; Node's OpenSSL security level refuses 1.0/1.1 too.
    const old = await handshake(server.port, ca, {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    expect(old).toBe('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  });

  it('is not trusted by a client without the CA', async () => {
    expect(await handshake(server.port, '', { ca: undefined })).toBe(
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );
  });
});
