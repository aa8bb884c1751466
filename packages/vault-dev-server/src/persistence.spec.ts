import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startVaultDevServer } from './server.js';
import { loginAsService, startTestVault, testClock } from './testing/harness.js';

const ORDER_POLICY = 'path "secret/data/order/*" { capabilities = ["read"] }';

describe('persistence across restarts', () => {
  let home: string;
  let stateFile: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-vault-'));
    stateFile = path.join(home, 'vault', 'dev-server-state.json');
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('keeps secrets, policies, roles and still-valid tokens', async () => {
    const rootToken = 'root-token-for-this-test';
    const clock = testClock();
    const first = await startTestVault({ stateFile, rootToken, now: clock.now });
    const { token, roleId, secretId } = await loginAsService(first, 'order', ORDER_POLICY, {
      token_ttl: '1h',
    });
    await first.call('POST', 'secret/data/order/db', { body: { data: { password: 's3cret' } } });
    await first.call('POST', 'secret/data/payment/psp', { body: { data: { key: 'k' } } });
    await first.server.close();

    clock.advance(600);
    const second = await startTestVault({ stateFile, rootToken, now: clock.now });
    try {
      const read = await second.call('GET', 'secret/data/order/db', { token });
      expect(read.status).toBe(200);
      expect(read.body.data.data).toEqual({ password: 's3cret' });
      expect((await second.call('GET', 'auth/token/lookup-self', { token })).body.data.ttl).toBe(
        3000,
      );
      expect((await second.call('GET', 'secret/data/payment/psp', { token })).status).toBe(403);
      const again = await second.call('POST', 'auth/approle/login', {
        token: null,
        body: { role_id: roleId, secret_id: secretId },
      });
      expect(again.status).toBe(200);
      expect((await second.call('GET', 'sys/mounts')).body['secret/'].type).toBe('kv');

      clock.advance(3000);
      expect((await second.call('GET', 'secret/data/order/db', { token })).status).toBe(403);
    } finally {
      await second.server.close();
    }
  });

  it('writes a private file holding only hashes of tokens and secret IDs', async () => {
    const vault = await startTestVault({ stateFile });
    const { token, secretId } = await loginAsService(vault, 'order', ORDER_POLICY);
    await vault.server.close();

    expect(fs.statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(stateFile)).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(path.dirname(stateFile))).toEqual(['dev-server-state.json']);
    const text = fs.readFileSync(stateFile, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain(secretId);
    expect(text).not.toContain(vault.server.rootToken);
    expect(text).toContain(createHash('sha256').update(token).digest('hex'));
  });

  it('takes the root token from its caller, not from the state', async () => {
    const first = await startVaultDevServer({ port: 0, stateFile, log: () => {} });
    await first.close();
    const second = await startTestVault({
      stateFile,
      rootToken: 'another-root-token-for-this-test',
    });
    try {
      expect((await second.call('GET', 'sys/mounts', { token: first.rootToken })).status).toBe(403);
      expect((await second.call('GET', 'sys/mounts')).status).toBe(200);
    } finally {
      await second.server.close();
    }
  });

  it('keeps nothing without a state file', async () => {
    const first = await startTestVault();
    const { token } = await loginAsService(first, 'order', ORDER_POLICY);
    await first.server.close();
    const second = await startTestVault();
    try {
      expect((await second.call('GET', 'auth/token/lookup-self', { token })).status).toBe(403);
      expect((await second.call('GET', 'sys/mounts')).body['secret/']).toBeUndefined();
    } finally {
      await second.server.close();
    }
  });

  it('refuses to start on a file that is not its state', async () => {
    fs.mkdirSync(path.dirname(stateFile), { recursive: true });
    fs.writeFileSync(stateFile, '{"hello": "world"}');
    await expect(startVaultDevServer({ port: 0, stateFile, log: () => {} })).rejects.toThrow(
      /not a Vault dev-server state file/,
    );
    fs.writeFileSync(stateFile, '{"trunc');
    await expect(startVaultDevServer({ port: 0, stateFile, log: () => {} })).rejects.toThrow(
      /cannot read the Vault dev-server state/,
    );
  });
});
