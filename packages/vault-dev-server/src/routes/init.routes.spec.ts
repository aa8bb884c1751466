import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogEntry } from '../log.js';
import {
  startVaultDevServer,
  type RunningVaultDevServer,
  type UninitializedVaultDevServerOptions,
} from '../server.js';
import { startTestVault, type JsonBody, type VaultResult } from '../testing/harness.js';

const SEALED = { errors: ['Vault is sealed'] };

interface FreshVault {
  server: RunningVaultDevServer;
  logs: LogEntry[];
  call(method: string, path: string, body?: unknown, token?: string): Promise<VaultResult>;
}

async function startFreshVault(
  options: Partial<UninitializedVaultDevServerOptions> = {},
): Promise<FreshVault> {
  const logs: LogEntry[] = [];
  const server = await startVaultDevServer({
    port: 0,
    log: (entry) => logs.push(entry),
    ...options,
    uninitialized: true,
  });
  const call: FreshVault['call'] = async (method, route, body, token) => {
    const response = await fetch(`${server.url}/v1/${route}`, {
      method,
      headers: token ? { 'X-Vault-Token': token } : {},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as JsonBody) : undefined };
  };
  return { server, logs, call };
}

const ONE_SHARE = { secret_shares: 1, secret_threshold: 1 };

describe('sys/init on a fresh (uninitialised) Vault', () => {
  let vault: FreshVault;
  beforeEach(async () => {
    vault = await startFreshVault();
  });
  afterEach(() => vault.server.close());

  it('reports itself uninitialised and sealed, with no shares, and health 501', async () => {
    expect(await vault.call('GET', 'sys/init')).toEqual({
      status: 200,
      body: { initialized: false },
    });
    const status = await vault.call('GET', 'sys/seal-status');
    expect(status.body).toMatchObject({
      type: 'shamir',
      initialized: false,
      sealed: true,
      t: 0,
      n: 0,
      progress: 0,
    });
    const health = await vault.call('GET', 'sys/health');
    expect([health.status, health.body.initialized, health.body.sealed]).toEqual([
      501,
      false,
      true,
    ]);
  });

  it('answers every other path 503, as Vault does while it has no barrier', async () => {
    for (const [method, route, token] of [
      ['GET', 'sys/mounts', 'hvs.anything'],
      ['GET', 'secret/data/order/db', undefined],
      ['POST', 'auth/approle/login', undefined],
      ['PUT', 'sys/seal', undefined],
    ] as const) {
      const reply = await vault.call(method, route, method === 'GET' ? undefined : {}, token);
      expect([route, reply.status, reply.body]).toEqual([route, 503, SEALED]);
    }
    const unseal = await vault.call('PUT', 'sys/unseal', { key: Buffer.alloc(32).toString('hex') });
    expect([unseal.status, unseal.body]).toEqual([400, { errors: ['Vault is not initialized'] }]);
  });

  it('refuses what Vault refuses, in Vault’s words, and stays uninitialised', async () => {
    const refusals: [unknown, string][] = [
      [{ secret_shares: 2, secret_threshold: 3 }, 'threshold cannot be larger than shares'],
      [{}, 'shares must be at least one'],
      [{ secret_shares: 1 }, 'threshold must be at least one'],
      [
        { secret_shares: 3, secret_threshold: 1 },
        'threshold must be greater than one for multiple shares',
      ],
      [{ secret_shares: 256, secret_threshold: 2 }, 'shares must be less than 256'],
      [{ ...ONE_SHARE, stored_shares: 2 }, 'stored keys cannot be larger than 1'],
    ];
    for (const [body, reason] of refusals) {
      const reply = await vault.call('PUT', 'sys/init', body);
      expect([reply.status, reply.body]).toEqual([
        400,
        { errors: [`invalid seal configuration: ${reason}`] },
      ]);
    }
    const recovery = await vault.call('PUT', 'sys/init', { ...ONE_SHARE, recovery_shares: 1 });
    expect(recovery.body).toEqual({ errors: ['parameters specific to auto unseal seals present'] });
    const typed = await vault.call('PUT', 'sys/init', { secret_shares: '1', secret_threshold: 1 });
    expect([typed.status, typed.body.errors[0]]).toEqual([
      400,
      'failed to parse JSON input: json: cannot unmarshal string into Go struct field ' +
        'InitRequest.secret_shares of type int',
    ]);
    // Valid for Vault, beyond the stand-in: refused, not turned into one share.
    expect(
      (await vault.call('PUT', 'sys/init', { secret_shares: 5, secret_threshold: 3 })).status,
    ).toBe(400);
    expect((await vault.call('GET', 'sys/init')).body).toEqual({ initialized: false });
  });

  it('initialises once with one share, sealed; the key unseals and the root token works', async () => {
    const init = await vault.call('POST', 'sys/init', ONE_SHARE);
    expect(init.status).toBe(200);
    expect(Object.keys(init.body).sort()).toEqual(['keys', 'keys_base64', 'root_token']);
    const [hexKey] = init.body.keys as string[];
    const [base64Key] = init.body.keys_base64 as string[];
    expect(hexKey).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(base64Key!, 'base64').toString('hex')).toBe(hexKey);
    const rootToken = init.body.root_token as string;
    expect(rootToken).toMatch(/^hvs\./);

    expect((await vault.call('GET', 'sys/init')).body).toEqual({ initialized: true });
    expect((await vault.call('GET', 'sys/seal-status')).body).toMatchObject({
      initialized: true,
      sealed: true,
      t: 1,
      n: 1,
    });
    expect((await vault.call('GET', 'sys/health')).status).toBe(503);
    expect((await vault.call('GET', 'sys/mounts', undefined, rootToken)).body).toEqual(SEALED);

    const again = await vault.call('PUT', 'sys/init', ONE_SHARE);
    expect([again.status, again.body]).toEqual([400, { errors: ['Vault is already initialized'] }]);

    const unsealed = await vault.call('PUT', 'sys/unseal', { key: base64Key });
    expect(unsealed.body).toMatchObject({ initialized: true, sealed: false });
    expect((await vault.call('GET', 'sys/health')).status).toBe(200);
    expect((await vault.call('GET', 'sys/mounts', undefined, rootToken)).status).toBe(200);
    expect((await vault.call('GET', 'sys/mounts', undefined, 'hvs.not-the-root')).status).toBe(403);
    expect((await vault.call('PUT', 'sys/init', ONE_SHARE)).body).toEqual({
      errors: ['Vault is already initialized'],
    });
    const logged = JSON.stringify(vault.logs);
    expect(vault.logs.filter((entry) => entry.event === 'vault.initialized')).toHaveLength(1);
    expect(logged).not.toContain(rootToken);
    expect(logged).not.toContain(hexKey);
  });
});

describe('sys/init on a Vault started with a preset root token (the default)', () => {
  it('reports itself initialised and refuses a second init', async () => {
    const vault = await startTestVault();
    try {
      expect((await vault.call('GET', 'sys/init', { token: null })).body).toEqual({
        initialized: true,
      });
      const init = await vault.call('PUT', 'sys/init', { token: null, body: ONE_SHARE });
      expect([init.status, init.body]).toEqual([400, { errors: ['Vault is already initialized'] }]);
    } finally {
      await vault.server.close();
    }
  });
});

describe('an initialised Vault across restarts', () => {
  let home: string;
  let stateFile: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-vault-init-'));
    stateFile = path.join(home, 'vault', 'dev-server-state.json');
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('comes back initialised and sealed; the same key and root token still work', async () => {
    const first = await startFreshVault({ stateFile });
    const init = (await first.call('PUT', 'sys/init', ONE_SHARE)).body;
    const key = init.keys_base64[0] as string;
    const rootToken = init.root_token as string;
    await first.call('PUT', 'sys/unseal', { key });
    await first.call('POST', 'sys/mounts/secret', { type: 'kv-v2' }, rootToken);
    await first.call('POST', 'secret/data/db', { data: { password: 'p' } }, rootToken);
    await first.server.close();

    const state = fs.readFileSync(stateFile, 'utf8');
    expect(state).not.toContain(rootToken);
    expect(state).not.toContain(key);
    expect(state).not.toContain(init.keys[0]);

    const second = await startFreshVault({ stateFile });
    try {
      expect((await second.call('GET', 'sys/seal-status')).body).toMatchObject({
        initialized: true,
        sealed: true,
      });
      expect((await second.call('GET', 'secret/data/db', undefined, rootToken)).status).toBe(503);
      const wrong = await second.call('PUT', 'sys/unseal', {
        key: Buffer.alloc(32, 9).toString('base64'),
      });
      expect(wrong.status).toBe(400);
      await second.call('PUT', 'sys/unseal', { key });
      const read = await second.call('GET', 'secret/data/db', undefined, rootToken);
      expect(read.body.data.data).toEqual({ password: 'p' });
      expect((await second.call('PUT', 'sys/init', ONE_SHARE)).status).toBe(400);
    } finally {
      await second.server.close();
    }
  });

  it('refuses to start a state file in the other mode', async () => {
    const fresh = await startFreshVault({ stateFile });
    await fresh.server.close();
    await expect(startVaultDevServer({ port: 0, stateFile, log: () => undefined })).rejects.toThrow(
      /initialised through sys\/init/,
    );

    const presetFile = path.join(home, 'preset-state.json');
    const preset = await startVaultDevServer({
      port: 0,
      stateFile: presetFile,
      log: () => undefined,
    });
    await preset.close();
    await expect(startFreshVault({ stateFile: presetFile })).rejects.toThrow(/preset root token/);
  });
});
