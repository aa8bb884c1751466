// Test support for the specs (excluded from the build): a dev server on a free port with an
// injected clock, and a thin fetch wrapper that speaks Vault's API the way node-vault does.
import type { LogEntry } from '../log.js';
import { startVaultDevServer, type VaultDevServer, type VaultDevServerOptions } from '../server.js';

/** Response bodies are read field by field in the specs, so they stay loosely typed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = any;

export interface VaultResult {
  status: number;
  body: JsonBody;
}

export interface TestClock {
  now: () => number;
  advance(seconds: number): void;
}

export function testClock(start = Date.parse('2030-01-01T00:00:00Z')): TestClock {
  let current = start;
  return {
    now: () => current,
    advance: (seconds) => {
      current += seconds * 1000;
    },
  };
}

export interface TestVault {
  server: VaultDevServer;
  clock: TestClock;
  logs: LogEntry[];
  /** `token: null` sends no token; by default the root token is sent. */
  call(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown },
  ): Promise<VaultResult>;
}

export async function startTestVault(options: VaultDevServerOptions = {}): Promise<TestVault> {
  const logs: LogEntry[] = [];
  const clock = testClock();
  const server = await startVaultDevServer({
    port: 0,
    log: (entry) => logs.push(entry),
    now: clock.now,
    ...options,
  });
  const call: TestVault['call'] = async (method, path, { token, body } = {}) => {
    const sent = token === undefined ? server.rootToken : token;
    const response = await fetch(`${server.url}/v1/${path}`, {
      method,
      headers: sent === null ? {} : { 'X-Vault-Token': sent },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return { server, clock, logs, call };
}

/** Vault's body for an ACL refusal. */
export const ACL_DENIED = { errors: ['1 error occurred:\n\t* permission denied\n\n'] };

/**
 * What Citadel's bootstrap does for one service: mount KV v2 at `secret/` and AppRole (once),
 * write the service's policy and role, then log in as the service. Returns its token.
 */
export async function loginAsService(
  vault: TestVault,
  service: string,
  policy: string,
  role: Record<string, unknown> = {},
): Promise<{ token: string; roleId: string; secretId: string; auth: JsonBody }> {
  const mounts = await vault.call('GET', 'sys/mounts');
  if (!mounts.body['secret/']) {
    await vault.call('POST', 'sys/mounts/secret', {
      body: { type: 'kv', options: { version: '2' } },
    });
  }
  const methods = await vault.call('GET', 'sys/auth');
  if (!methods.body['approle/']) {
    await vault.call('POST', 'sys/auth/approle', { body: { type: 'approle' } });
  }
  expect(
    (await vault.call('PUT', `sys/policies/acl/${service}`, { body: { policy } })).status,
  ).toBe(204);
  const written = await vault.call('POST', `auth/approle/role/${service}`, {
    body: { token_policies: [service], ...role },
  });
  expect(written.status).toBe(204);
  const roleId = (await vault.call('GET', `auth/approle/role/${service}/role-id`)).body.data
    .role_id;
  const secretId = (await vault.call('POST', `auth/approle/role/${service}/secret-id`)).body.data
    .secret_id;
  const login = await vault.call('POST', 'auth/approle/login', {
    token: null,
    body: { role_id: roleId, secret_id: secretId },
  });
  expect(login.status).toBe(200);
  return { token: login.body.auth.client_token, roleId, secretId, auth: login.body.auth };
}
