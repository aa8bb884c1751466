import type { Server } from 'node:http';
import net, { type Socket } from 'node:net';

/** Longer request lines are passed through untouched (and Node rejects them as it would). */
const MAX_REQUEST_LINE = 16 * 1024;
/** A client that connects and sends nothing is dropped after this long. */
export const FIRST_LINE_TIMEOUT_MS = 30_000;
const LIST_REQUEST_LINE = /^LIST (\S+) (HTTP\/1\.[01])$/;

/**
 * `LIST /v1/a?b HTTP/1.1` → `GET /v1/a?b&list=true HTTP/1.1`, which Vault documents as the
 * same request. Any other request line is returned unchanged.
 */
export function rewriteListRequestLine(line: string): string {
  const match = LIST_REQUEST_LINE.exec(line);
  if (!match) return line;
  const [, target, version] = match as unknown as [string, string, string];
  return `GET ${target}${target.includes('?') ? '&' : '?'}list=true ${version}`;
}

/**
 * Reads `socket`'s request line, rewrites a LIST into its GET `?list=true` equivalent, and
 * hands the connection to `http`. The socket may be a TCP socket or a TLS socket already
 * past its handshake.
 */
export function handOverWithListRewrite(socket: Socket, http: Server): void {
  let head = Buffer.alloc(0);
  const onTimeout = () => socket.destroy();
  socket.setTimeout(FIRST_LINE_TIMEOUT_MS);
  socket.on('timeout', onTimeout);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n');
    if (end === -1 && head.length < MAX_REQUEST_LINE) return;
    socket.off('data', onData);
    socket.pause();
    socket.setTimeout(0);
    socket.off('timeout', onTimeout);
    if (end !== -1) {
      const line = rewriteListRequestLine(head.subarray(0, end).toString('latin1'));
      head = Buffer.concat([Buffer.from(line, 'latin1'), head.subarray(end)]);
    }
    socket.unshift(head);
    http.emit('connection', socket);
    socket.resume();
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}

/**
 * Vault's API uses the HTTP method LIST, which node-vault and the Vault CLI send, but Node's
 * HTTP parser refuses methods it does not know. So a plain TCP server sits in front of the
 * HTTP server: it reads each connection's request line, rewrites a LIST into its GET
 * `?list=true` equivalent, and hands the connection over. Only a connection's first request
 * passes through here, which is why every response says `Connection: close`.
 */
export function listMethodFront(http: Server): net.Server {
  return net.createServer((socket) => handOverWithListRewrite(socket, http));
}
