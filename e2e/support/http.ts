import fs from 'node:fs';
import https from 'node:https';
import type { Alert } from '@citadel/contracts';
import { e2eState } from './state.js';

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  /** A raw body sent as is (for malformed-input tests). */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  /** The client address to connect from (any 127.0.0.0/8 address on loopback): a "new IP". */
  localAddress?: string;
}

/** One agent per system's CA: a spec may boot a system of its own after using another. */
const agents = new Map<string, https.Agent>();

/** One HTTPS call to the booted gateway, trusting only the Citadel dev CA. */
export function api(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const state = e2eState();
  let agent = agents.get(state.caFile);
  if (!agent) {
    agent = new https.Agent({ ca: fs.readFileSync(state.caFile), keepAlive: false });
    agents.set(state.caFile, agent);
  }
  const payload =
    options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const headers: Record<string, string> = {
    ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${state.gatewayUrl}${path}`,
      {
        method,
        agent,
        headers,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
        });
      },
    );
    request.on('error', reject);
    if (payload !== undefined) request.write(payload);
    request.end();
  });
}

/** Tokens by gateway and user: each system has its own users. */
const tokens = new Map<string, string>();

/** Logs a demo user in (once per test file and system) and returns the opaque access token. */
export async function tokenFor(name: string, fresh = false): Promise<string> {
  const key = `${e2eState().gatewayUrl} ${name}`;
  const cached = tokens.get(key);
  if (cached && !fresh) return cached;
  const user = e2eState().users.find((candidate) => candidate.email.startsWith(`${name}@`));
  if (!user) throw new Error(`no demo user ${name}`);
  const response = await api('POST', '/v1/auth/login', {
    body: { email: user.email, password: user.password },
  });
  if (response.status !== 200)
    throw new Error(`login ${name}: ${response.status} ${response.text}`);
  const token = response.json.access_token as string;
  if (!fresh) tokens.set(key, token);
  return token;
}

export async function userIdOf(name: string): Promise<string> {
  return (await api('GET', '/v1/me', { token: await tokenFor(name) })).json.id;
}

/** A paid order placed by `name`: one mug unless `items` says otherwise. */
export async function placeOrder(
  name: string,
  items: { sku: string; quantity: number }[] = [{ sku: 'CIT-MUG', quantity: 1 }],
): Promise<{ id: string; payment_id: string; user_id: string }> {
  const response = await api('POST', '/v1/orders', {
    token: await tokenFor(name),
    body: { items },
  });
  if (response.status !== 201)
    throw new Error(`order for ${name}: ${response.status} ${response.text}`);
  return response.json;
}

/** Asserts the one error shape: problem+json with type, title, status, trace_id, no stack. */
export function expectProblem(response: ApiResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(response.json).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    }),
  );
  expect(response.text).not.toMatch(/at \S+ \(|node_modules|\.ts:\d+|\.js:\d+|stack/i);
}

/** A security alert as an admin lists it (GET /v1/admin/alerts): monitor.proto's Alert. */
export type SecurityAlert = Alert;

/** The security alerts the admin (ada) sees, newest first. */
export async function listAlerts(): Promise<SecurityAlert[]> {
  const response = await api('GET', '/v1/admin/alerts', { token: await tokenFor('ada') });
  if (response.status !== 200) throw new Error(`alerts: ${response.status} ${response.text}`);
  return response.json as SecurityAlert[];
}

/**
 * Polls the admin's alerts until one `matches`, failing after `timeoutMs`: each service's
 * outbox delivers its audit records to the monitor asynchronously, so an alert appears a
 * moment after the act that completed its pattern.
 */
export async function awaitAlert(
  description: string,
  matches: (alert: SecurityAlert) => boolean,
  timeoutMs = 20_000,
): Promise<SecurityAlert> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await listAlerts()).find(matches);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${description} alert within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
