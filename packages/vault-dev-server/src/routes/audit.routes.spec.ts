import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { identifiedHmac } from '../audit.js';
import {
  ACL_DENIED,
  loginAsService,
  startTestVault,
  type JsonBody,
  type TestVault,
} from '../testing/harness.js';

const ORDER_POLICY = 'path "secret/data/order/*" { capabilities = ["read"] }';
const SECRET_VALUE = 'correct-horse-battery-staple';

describe('audit devices (sys/audit, sys/audit-hash)', () => {
  let vault: TestVault;
  let dir: string;
  let auditFile: string;
  beforeEach(async () => {
    vault = await startTestVault();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-vault-audit-'));
    auditFile = path.join(dir, 'logs', 'audit.log');
  });
  afterEach(async () => {
    await vault.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const enable = (body: unknown, device = 'file', token?: string | null) =>
    vault.call('PUT', `sys/audit/${device}`, { body, token });
  const enableFile = () => enable({ type: 'file', options: { file_path: auditFile } });
  const entries = (): JsonBody[] =>
    fs
      .readFileSync(auditFile, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
  const hashOf = async (input: string, device = 'file') =>
    (await vault.call('POST', `sys/audit-hash/${device}`, { body: { input } })).body.data.hash;

  it('enables, lists and disables a file device, as Vault answers', async () => {
    const enabled = await enable({
      type: 'file',
      description: 'all of it',
      options: { file_path: auditFile },
    });
    expect([enabled.status, enabled.body]).toEqual([204, undefined]);
    const listed = await vault.call('GET', 'sys/audit');
    const device = {
      type: 'file',
      description: 'all of it',
      options: { file_path: auditFile },
      local: false,
      path: 'file/',
    };
    expect(listed.status).toBe(200);
    expect(listed.body.data).toEqual({ 'file/': device });
    expect(listed.body['file/']).toEqual(device);
    // The file is the owner's alone, and Vault's test entry opens it.
    expect(fs.statSync(auditFile).mode & 0o777).toBe(0o600);
    expect(entries()[0]).toMatchObject({
      type: 'request',
      request: { operation: 'update', path: 'sys/audit/test' },
    });

    expect((await vault.call('DELETE', 'sys/audit/file')).status).toBe(204);
    expect((await vault.call('GET', 'sys/audit')).body.data).toEqual({});
    // Disabling what is not enabled is not an error in Vault either.
    expect((await vault.call('DELETE', 'sys/audit/file')).status).toBe(204);
  });

  it('is root-protected: a token needs sudo on sys/audit, as in Vault', async () => {
    const withoutSudo = await loginAsService(
      vault,
      'operator',
      'path "sys/audit*" { capabilities = ["create", "read", "update", "delete"] }',
    );
    const withSudo = await loginAsService(
      vault,
      'admin',
      'path "sys/audit*" { capabilities = ["read", "update", "delete", "sudo"] }',
    );
    const body = { type: 'file', options: { file_path: auditFile } };

    for (const token of [withoutSudo.token, null, 'not-a-token']) {
      expect((await enable(body, 'file', token)).status).toBe(403);
      expect((await vault.call('GET', 'sys/audit', { token })).status).toBe(403);
      expect((await vault.call('DELETE', 'sys/audit/file', { token })).status).toBe(403);
    }
    expect((await vault.call('GET', 'sys/audit', { token: withoutSudo.token })).body).toEqual(
      ACL_DENIED,
    );
    expect(fs.existsSync(auditFile)).toBe(false);

    expect((await enable(body, 'file', withSudo.token)).status).toBe(204);
    expect((await vault.call('GET', 'sys/audit', { token: withSudo.token })).status).toBe(200);
    // sys/audit-hash is not root-protected: `update` on it is enough.
    const hash = await vault.call('POST', 'sys/audit-hash/file', {
      token: withoutSudo.token,
      body: { input: 'x' },
    });
    expect(hash.status).toBe(200);
    // A token without sudo cannot turn the record off.
    expect(
      (await vault.call('DELETE', 'sys/audit/file', { token: withoutSudo.token })).status,
    ).toBe(403);
    expect(Object.keys((await vault.call('GET', 'sys/audit')).body.data)).toEqual(['file/']);
  });

  it('refuses what Vault refuses, with 400', async () => {
    const file = { file_path: auditFile };
    const refusals: [unknown, RegExp][] = [
      [{ options: file }, /unknown backend type: ""/],
      [{ type: 'nope', options: file }, /unknown backend type: "nope"/],
      [{ type: 'file' }, /"file_path" is required/],
      [{ type: 'file', options: { file_path: '  ' } }, /"file_path" is required/],
      [{ type: 'file', options: { file_path: { nested: 1 } } }, /string valued/],
      [{ type: 'file', options: 'file_path=x' }, /must be a map/],
      // Vault 1.20.1+ (CVE-2025-6000): no executable audit file, no prefix without the
      // server's allow_audit_log_prefixing.
      [{ type: 'file', options: { ...file, mode: '0755' } }, /executable/],
      [{ type: 'file', options: { ...file, mode: 'rw' } }, /mode/],
      [{ type: 'file', options: { ...file, prefix: '#!/bin/sh\n' } }, /allow_audit_log_prefixing/],
      [{ type: 'file', options: { ...file, filter: 'path == "x"' } }, /enterprise-only/],
      // Each of these would put credentials in the log in clear.
      [{ type: 'file', options: { ...file, log_raw: 'true' } }, /log_raw/],
      [{ type: 'file', options: { ...file, hmac_accessor: false } }, /hmac_accessor/],
      // Vault writes a test entry first and refuses a device that cannot record it.
      [{ type: 'file', options: { file_path: '/dev/full', mode: '0000' } }, /failed test message/],
    ];
    for (const [body, message] of refusals) {
      const reply = await enable(body);
      expect([JSON.stringify(body), reply.status]).toEqual([JSON.stringify(body), 400]);
      expect(reply.body.errors[0]).toMatch(message);
    }
    expect((await vault.call('GET', 'sys/audit')).body.data).toEqual({});

    expect((await enableFile()).status).toBe(204);
    for (const device of ['file', 'file/nested', '/file/']) {
      const taken = await enable(
        { type: 'file', options: { file_path: `${auditFile}.2` } },
        device,
      );
      expect([device, taken.status, taken.body.errors]).toEqual([
        device,
        400,
        ['path already in use'],
      ]);
    }
    const input = await vault.call('POST', 'sys/audit-hash/file', { body: {} });
    expect([input.status, input.body.errors]).toEqual([400, ['the "input" parameter is empty']]);
    const unknown = await vault.call('POST', 'sys/audit-hash/other', { body: { input: 'x' } });
    expect([unknown.status, unknown.body.errors]).toEqual([400, ['unknown audit backend other/']]);
  });

  it('writes one JSON line per request and per response, with every secret as an HMAC', async () => {
    expect((await enableFile()).status).toBe(204);
    const order = await loginAsService(vault, 'order', ORDER_POLICY);
    await vault.call('POST', 'secret/data/order/db', {
      body: { data: { password: SECRET_VALUE, port: 5432 } },
    });
    const read = await vault.call('GET', 'secret/data/order/db', { token: order.token });
    expect(read.body.data.data.password).toBe(SECRET_VALUE);
    expect(
      (await vault.call('GET', 'secret/data/payment/psp', { token: order.token })).status,
    ).toBe(403);

    const text = fs.readFileSync(auditFile, 'utf8');
    const log = entries();
    // Not one credential or secret in clear: the root token, the service's role_id,
    // secret_id and token, the secret's value.
    for (const secret of [
      vault.server.rootToken,
      order.roleId,
      order.secretId,
      order.token,
      order.auth.accessor,
      SECRET_VALUE,
    ]) {
      expect(text).not.toContain(secret);
    }
    // ...but each is there as the HMAC sys/audit-hash gives for it.
    for (const secret of [vault.server.rootToken, order.secretId, order.token, SECRET_VALUE]) {
      expect(text).toContain(await hashOf(secret));
    }

    const login = log.filter((entry) => entry.request.path === 'auth/approle/login');
    expect(login.map((entry) => entry.type)).toEqual(['request', 'response']);
    expect(login[0]).toMatchObject({
      auth: { token_type: 'default' },
      request: {
        operation: 'update',
        path: 'auth/approle/login',
        mount_type: 'approle',
        mount_point: 'auth/approle/',
        namespace: { id: 'root' },
        remote_address: '127.0.0.1',
        data: { role_id: await hashOf(order.roleId), secret_id: await hashOf(order.secretId) },
      },
    });
    expect(login[0].request.id).toBe(login[1].request.id);
    expect(login[1].response.auth).toEqual({
      client_token: await hashOf(order.token),
      accessor: await hashOf(order.auth.accessor),
      policies: ['default', 'order'],
      token_policies: ['default', 'order'],
      metadata: { role_name: 'order' },
      token_type: 'service',
      token_ttl: order.auth.lease_duration,
    });

    const reads = log.filter(
      (entry) =>
        entry.request.path === 'secret/data/order/db' && entry.request.operation === 'read',
    );
    expect(reads.map((entry) => entry.type)).toEqual(['request', 'response']);
    for (const entry of reads) {
      expect(entry.auth).toMatchObject({
        client_token: await hashOf(order.token),
        policies: ['default', 'order'],
        metadata: { role_name: 'order' },
        token_type: 'service',
      });
      expect(entry.request).toMatchObject({
        client_token: await hashOf(order.token),
        client_token_accessor: await hashOf(order.auth.accessor),
        mount_type: 'kv',
        mount_point: 'secret/',
      });
    }
    // Strings hashed, numbers kept, keys readable: what was read, not what it said.
    expect(reads[1].response.data.data).toEqual({
      password: await hashOf(SECRET_VALUE),
      port: 5432,
    });

    // A refusal is recorded with the request, which goes no further.
    const refused = log.filter((entry) => entry.request.path === 'secret/data/payment/psp');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({
      type: 'request',
      error: expect.stringContaining('permission denied'),
      auth: { policies: ['default', 'order'] },
    });
    for (const entry of log) expect(Date.parse(entry.time)).not.toBeNaN();
  });

  it('hashes with a salt of its own per device, kept across restarts', async () => {
    const stateFile = path.join(dir, 'state.json');
    const rootToken = 'root-token-for-this-test';
    const first = await startTestVault({ stateFile, rootToken });
    try {
      const body = (file: string) => ({ type: 'file', options: { file_path: file } });
      await first.call('PUT', 'sys/audit/a', { body: body(auditFile) });
      await first.call('PUT', 'sys/audit/b', { body: body(`${auditFile}.b`) });
      const hash = async (device: string) =>
        (await first.call('POST', `sys/audit-hash/${device}`, { body: { input: 'x' } })).body.data
          .hash;
      const [a, b] = [await hash('a'), await hash('b')];
      expect(a).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
      expect(a).not.toBe(b);
      // Not a bare SHA-256 of the value: without the salt, a guess cannot be checked.
      expect(a).not.toBe(identifiedHmac('', 'x'));
      await first.server.close();

      const second = await startTestVault({ stateFile, rootToken });
      try {
        const again = await second.call('POST', 'sys/audit-hash/a', { body: { input: 'x' } });
        expect(again.body.data.hash).toBe(a);
        await second.call('GET', 'sys/mounts');
        expect(fs.readFileSync(auditFile, 'utf8')).toContain('"path":"sys/mounts"');
        // The salt never leaves the server.
        expect(JSON.stringify((await second.call('GET', 'sys/audit')).body)).not.toMatch(/salt/);
      } finally {
        await second.server.close();
      }
    } finally {
      await first.server.close().catch(() => undefined);
    }
  });

  it('refuses to serve a request that no device could record, as Vault does', async () => {
    const stateFile = path.join(dir, 'state.json');
    const own = await startTestVault({ stateFile });
    try {
      const enableOn = (device: string, options: Record<string, string>) =>
        own.call('PUT', `sys/audit/${device}`, { body: { type: 'file', options } });
      expect((await enableOn('file', { file_path: auditFile })).status).toBe(204);
      // /dev/full takes the device (no test entry, its mode left alone), then fails every write.
      expect(
        (await enableOn('full', { file_path: '/dev/full', mode: '0000', skip_test: 'true' }))
          .status,
      ).toBe(204);
      // One device that records is enough.
      const mounted = await own.call('POST', 'sys/mounts/secret', {
        body: { type: 'kv', options: { version: '2' } },
      });
      expect(mounted.status).toBe(204);
      expect(own.logs.some((entry) => entry.event === 'audit.write-failed')).toBe(true);

      // With the recording device gone (its own answer can no longer be recorded either)...
      await own.call('DELETE', 'sys/audit/file');
      const stored = () =>
        JSON.parse(fs.readFileSync(stateFile, 'utf8')) as {
          auditDevices: object;
          secretEngines: { 'secret/': { secrets: object } };
        };
      expect(Object.keys(stored().auditDevices)).toEqual(['full/']);
      // ...nothing is served, the write is not made, and only a fixed device brings it back.
      const write = await own.call('POST', 'secret/data/order/db', {
        body: { data: { password: SECRET_VALUE } },
      });
      expect([write.status, write.body]).toEqual([500, { errors: ['internal error'] }]);
      expect(stored().secretEngines['secret/'].secrets).toEqual({});
      expect((await own.call('GET', 'sys/audit')).status).toBe(500);
    } finally {
      await own.server.close();
    }
  });
});
