import type { Server } from 'node:http';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { FIRST_LINE_TIMEOUT_MS, handOverWithListRewrite } from './list-method.js';

/** A PEM certificate (chain) and its private key, as Vault's `tls_cert_file`/`tls_key_file`. */
export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

/** A TLS record header is five bytes; that is all Go reads before it decides. */
const RECORD_HEADER_BYTES = 5;

/**
 * Go's `tlsRecordHeaderLooksLikeHTTP` (net/http/server.go): the first five bytes of the plain
 * HTTP requests a browser or curl would send by mistake.
 */
const HTTP_LOOKING_HEADERS = new Set(['GET /', 'HEAD ', 'POST ', 'PUT /', 'OPTIO']);

/** Go's answer to such a request, byte for byte; the connection is closed after it. */
export const PLAIN_HTTP_TO_TLS_REPLY =
  'HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n';

/** `true` when a connection's first bytes are a plain HTTP request rather than a TLS record. */
export function looksLikePlainHttp(head: Buffer): boolean {
  return HTTP_LOOKING_HEADERS.has(head.subarray(0, RECORD_HEADER_BYTES).toString('latin1'));
}

/**
 * The front of an HTTPS-only listener, as Vault's default TCP listener: TLS 1.2 at least
 * (`tls_min_version = "tls12"`), HTTP/1.1 inside. A client that speaks plain HTTP gets Go's
 * 400 and a closed connection, so nothing it sent, a token in a header included, is ever
 * answered in clear text. Each decrypted connection then goes through the LIST rewrite
 * (see list-method.ts) to the HTTP server.
 */
export function tlsFront(http: Server, files: TlsFiles): net.Server {
  const secure = tls.createServer({
    cert: files.cert,
    key: files.key,
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
    handshakeTimeout: FIRST_LINE_TIMEOUT_MS,
  });
  secure.on('secureConnection', (socket: tls.TLSSocket) => handOverWithListRewrite(socket, http));
  // A failed handshake is the client's problem; tls.Server destroys its socket.
  secure.on('tlsClientError', () => undefined);
  return net.createServer((socket) => routeByFirstBytes(socket, secure));
}

function routeByFirstBytes(socket: Socket, secure: tls.Server): void {
  let head = Buffer.alloc(0);
  const onTimeout = () => socket.destroy();
  socket.setTimeout(FIRST_LINE_TIMEOUT_MS);
  socket.on('timeout', onTimeout);
  socket.on('error', () => socket.destroy());
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    if (head.length < RECORD_HEADER_BYTES) return;
    socket.off('data', onData);
    socket.setTimeout(0);
    socket.off('timeout', onTimeout);
    if (looksLikePlainHttp(head)) {
      socket.end(PLAIN_HTTP_TO_TLS_REPLY, () => socket.destroy());
      return;
    }
    socket.pause();
    socket.unshift(head);
    secure.emit('connection', socket);
  };
  socket.on('data', onData);
}
