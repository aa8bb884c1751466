// The vault-unseal loop of docker-compose.yml (infra/docker/vault-unseal.mjs), against the
// local Vault server in its sealed mode, which refuses what a sealed Vault refuses.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startVaultDevServer, type VaultDevServer } from '@citadel/vault-dev-server';
import { vaultApi } from '../../docker/vault-api.mjs';
import { readUnsealKeys, watchSeal, writeUnsealKey } from '../../docker/vault-unseal.mjs';

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('vault-unseal (infra/docker/vault-unseal.mjs)', () => {
  let dir: string;
  let keyFile: string;
  let server: VaultDevServer;
  /** When the server refused an unseal key. */
  let refusedAt: number[];
  let lines: string[];
  let stop: AbortController;
  let loop: Promise<void> | undefined;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-unseal-'));
    keyFile = path.join(dir, 'unseal', 'unseal-keys.json');
    refusedAt = [];
    lines = [];
    stop = new AbortController();
    loop = undefined;
    // As Vault comes back after any restart: sealed.
    server = await startVaultDevServer({
      port: 0,
      sealed: true,
      log: (entry) => {
        if (entry.event === 'vault.unseal-refused') refusedAt.push(Date.now());
      },
    });
  });
  afterEach(async () => {
    stop.abort();
    await loop;
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sealed = async () =>
    (await vaultApi('GET', 'sys/seal-status', undefined, { addr: server.url })).body['sealed'];
  const start = (random = () => 1) => {
    loop = watchSeal({
      call: (method, route, body) => vaultApi(method, route, body, { addr: server.url }),
      readKeys: () => readUnsealKeys(keyFile),
      log: (line) => lines.push(line),
      intervalMs: 50,
      maxIntervalMs: 400,
      random,
      signal: stop.signal,
    });
  };
  const logged = (pattern: RegExp) => lines.filter((line) => pattern.test(line)).length;

  it('unseals Vault, and again each time it comes back sealed, until it is stopped', async () => {
    writeUnsealKey([server.unsealKey], keyFile);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    start();
    await until('the first unseal', async () => (await sealed()) === false);
    expect((await vaultApi('GET', 'sys/mounts', undefined, { addr: server.url })).status).not.toBe(
      503,
    );

    // A restart of Vault (here: sys/seal with the root token) seals it again.
    const seal = await fetch(`${server.url}/v1/sys/seal`, {
      method: 'PUT',
      headers: { 'X-Vault-Token': server.rootToken },
    });
    expect(seal.status).toBe(204);
    await until('the second unseal', async () => (await sealed()) === false);
    expect(logged(/sealed: unsealed it/)).toBe(2);

    stop.abort();
    await loop;
  });

  it('waits for the key share vault-init leaves, then unseals; the wait is logged once', async () => {
    start();
    await until('the wait for the key', () => logged(/has not left the unseal key/) === 1);
    expect(await sealed()).toBe(true);
    writeUnsealKey([server.unsealKey], keyFile);
    await until('the unseal', async () => (await sealed()) === false);
    expect(logged(/has not left the unseal key/)).toBe(1);
  });

  it('a key Vault refuses leaves it sealed: logged once, retried with capped backoff, never in a loop', async () => {
    writeUnsealKey([Buffer.alloc(32, 9).toString('base64')], keyFile);
    start();
    await until('six refusals', () => refusedAt.length >= 6);
    stop.abort();
    await loop;
    expect(await sealed()).toBe(true);
    expect(logged(/refused the unseal key/)).toBe(1);
    // Whole windows (random = 1): 50, 100, 200, 400, then capped at 400.
    const gaps = refusedAt.slice(1).map((at, i) => at - refusedAt[i]!);
    [50, 100, 200, 400, 400].forEach((expected, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(expected - 5);
      expect(gaps[i]).toBeLessThan(expected + 300);
    });
  });

  it('keeps going while Vault is away, and unseals it when it answers again', async () => {
    writeUnsealKey([server.unsealKey], keyFile);
    const port = server.port;
    const key = server.unsealKey;
    await server.close();
    start();
    await until('the outage to be noticed', () => logged(/does not answer/) === 1);
    server = await startVaultDevServer({ port, sealed: true, unsealKey: key, log: () => {} });
    await until('the unseal after the outage', async () => (await sealed()) === false);
  });

  it('never sends a key over plain HTTP to anything but loopback', () => {
    expect(() =>
      vaultApi('GET', 'sys/seal-status', undefined, { addr: 'http://vault:8200' }),
    ).toThrow(/https/);
  });
});
