import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface GatewayAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of several shapes
  json: any;
  text: string;
  headers: IncomingHttpHeaders;
}

/**
 * One HTTPS call to a Citadel gateway, trusting only `ca` (the dev CA): a JSON body and
 * a bearer credential when given. Used by `npm run demo` and `npm run bench`.
 */
export function gatewayRequest(
  gatewayUrl: string,
  ca: Buffer,
  method: string,
  route: string,
  options: { token?: string | undefined; body?: unknown } = {},
): Promise<GatewayAnswer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${gatewayUrl}${route}`,
      {
        method,
        ca,
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            json: text ? JSON.parse(text) : undefined,
            text,
            headers: response.headers,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
