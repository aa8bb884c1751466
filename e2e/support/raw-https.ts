import fs from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
import { e2eState } from './state.js';

/** An answer as the attacker sees it: status, lower-cased headers (repeats joined), text. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface SendOptions {
  /** The loopback address to connect from (its own rate-limit bucket). */
  localAddress?: string;
  timeoutMs?: number;
}

function target() {
  const state = e2eState();
  const url = new URL(state.gatewayUrl);
  return { url, ca: fs.readFileSync(state.caFile) };
}

/**
 * A request through node:https, with header values as given (arrays send the header more
 * than once) and a body sent as is. Node's client refuses CR, LF and NUL in headers: such
 * requests go through `sendRaw`.
 */
export function sendHttps(
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body: string | Buffer | undefined,
  options: SendOptions = {},
): Promise<RawResponse> {
  const { url, ca } = target();
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers,
        ca,
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: joinHeaders(response.rawHeaders),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.setTimeout(options.timeoutMs ?? 10_000, () =>
      request.destroy(new Error('no answer in time')),
    );
    // The gateway may answer (413) before it has read a large body, and close: the answer
    // is what counts, not the write that lost the race.
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    if (body !== undefined) request.write(body);
    request.end();
  });
}

/**
 * Exact bytes over TLS, for what a well-behaved client will not send (CR/LF in a header,
 * two Content-Lengths, unknown methods). `{host}` in the bytes becomes the gateway's
 * host:port. Resolves with the last final (non-1xx) answer once the server closes.
 */
export function sendRaw(bytes: string | Buffer, options: SendOptions = {}): Promise<RawResponse> {
  const { url, ca } = target();
  const payload =
    typeof bytes === 'string' ? Buffer.from(bytes.replaceAll('{host}', url.host), 'latin1') : bytes;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: url.hostname,
      port: Number(url.port),
      ca,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), options.timeoutMs ?? 10_000);
    socket.on('secureConnect', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined); // a reset after the answer is normal here
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseHttpResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Parses the answers on a connection and returns the last final one (1xx skipped). */
export function parseHttpResponse(bytes: Buffer): RawResponse {
  let rest = bytes;
  let last: RawResponse | undefined;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
    const headers = joinHeaders(
      lines.flatMap((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon), line.slice(colon + 1).trim()];
      }),
    );
    let body = rest.subarray(end + 4);
    if (status >= 100 && status < 200) {
      rest = body;
      continue;
    }
    if (headers['transfer-encoding']?.includes('chunked')) {
      body = dechunk(body);
      rest = Buffer.alloc(0);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      rest = body.subarray(length);
      body = body.subarray(0, length);
    } else {
      rest = Buffer.alloc(0);
    }
    last = { status, headers, text: body.toString('utf8') };
  }
  if (!last) throw new Error(`no HTTP answer: ${JSON.stringify(bytes.toString('latin1'))}`);
  return last;
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function joinHeaders(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    headers[name] = headers[name] === undefined ? raw[i + 1]! : `${headers[name]}, ${raw[i + 1]}`;
  }
  return headers;
}
