import http from 'node:http';
import { rewriteListRequestLine } from './list-method.js';
import { isLoopbackHost, NonLoopbackBindError } from './loopback.js';
import { startVaultDevServer } from './server.js';
import { startTestVault, type TestVault } from './testing/harness.js';

describe('loopback only', () => {
  it('knows which hosts are loopback', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', 'localhost', '::ffff:127.0.0.1']) {
      expect(isLoopbackHost(host)).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'vault.example.com', '']) {
      expect(isLoopbackHost(host)).toBe(false);
    }
  });

  it.each(['0.0.0.0', '::', '192.168.1.2', 'example.com'])('refuses to bind %p', async (host) => {
    await expect(startVaultDevServer({ host, port: 0, log: () => {} })).rejects.toThrow(
      NonLoopbackBindError,
    );
    await expect(startVaultDevServer({ host, port: 0, log: () => {} })).rejects.toThrow(/loopback/);
  });
});

describe('vault dev server', () => {
  let vault: TestVault;
  beforeEach(async () => {
    vault = await startTestVault();
  });
  afterEach(() => vault.server.close());

  it('listens on the port the OS picked and says loudly that it is for development', () => {
    expect(vault.server.port).toBeGreaterThan(0);
    expect(vault.server.url).toBe(`http://127.0.0.1:${vault.server.port}`);
    const warnings = vault.logs.filter((entry) => entry.event === 'vault.dev-server');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(/DEVELOPMENT ONLY.*loopback only.*NOT use it in production/);
  });

  it('generates a strong random root token when none is given', async () => {
    expect(vault.server.rootToken).toMatch(/^hvs\.[A-Za-z0-9_-]{43}$/);
    const other = await startVaultDevServer({ port: 0, log: () => {} });
    expect(other.rootToken).not.toBe(vault.server.rootToken);
    await other.close();
  });

  it('answers sys/health without a token, in Vault’s shape', async () => {
    const health = await vault.call('GET', 'sys/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      initialized: true,
      sealed: false,
      standby: false,
      performance_standby: false,
      server_time_utc: Date.parse('2030-01-01T00:00:00Z') / 1000,
      cluster_name: 'citadel-dev',
    });
    expect(health.body.version).toMatch(/-citadel-dev$/);
  });

  it('refuses requests without a valid token, before it says whether the route exists', async () => {
    const missing = await vault.call('GET', 'sys/mounts', { token: null });
    expect(missing).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    const bogus = await vault.call('GET', 'no/such/route', { token: 'hvs.bogus' });
    expect(bogus).toEqual({ status: 403, body: { errors: ['permission denied'] } });
  });

  it('answers unknown routes with Vault’s 404', async () => {
    const result = await vault.call('GET', 'cubbyhole/thing');
    expect(result).toEqual({
      status: 404,
      body: { errors: ['no handler for route "cubbyhole/thing". route entry not found.'] },
    });
  });

  it('serves LIST to a client that keeps connections alive, as node-vault’s may', async () => {
    await vault.call('POST', 'sys/mounts/secret', { body: { type: 'kv-v2' } });
    await vault.call('POST', 'secret/data/a/b', { body: { data: { v: 1 } } });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const request = (method: string, path: string) =>
      new Promise<[number | undefined, string]>((resolve, reject) => {
        const sent = http.request(
          `${vault.server.url}/v1/${path}`,
          { method, agent, headers: { 'X-Vault-Token': vault.server.rootToken } },
          (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString()));
            response.on('end', () => resolve([response.statusCode, text]));
          },
        );
        sent.on('error', reject);
        sent.end();
      });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await request('GET', 'secret/data/a/b'))[0]).toBe(200);
        const [status, text] = await request('LIST', 'secret/metadata/a');
        expect(status).toBe(200);
        expect(JSON.parse(text).data.keys).toEqual(['b']);
      }
    } finally {
      agent.destroy();
    }
  });

  it('answers an unsupported method on a known route with 405', async () => {
    expect((await vault.call('DELETE', 'sys/mounts')).status).toBe(405);
    expect((await vault.call('PATCH', 'sys/mounts')).status).toBe(405);
  });

  it('refuses a body that is not a JSON object', async () => {
    const response = await fetch(`${vault.server.url}/v1/sys/auth/approle`, {
      method: 'POST',
      headers: { 'X-Vault-Token': vault.server.rootToken },
      body: '{"type": ',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: string[] }).errors[0]).toMatch(
      /failed to parse JSON input/,
    );
  });

  it('mounts KV v2 once and refuses engines it does not have, versions and taken paths', async () => {
    const kv2 = { type: 'kv', options: { version: '2' } };
    expect((await vault.call('POST', 'sys/mounts/secret', { body: kv2 })).status).toBe(204);
    expect(await vault.call('POST', 'sys/mounts/secret', { body: kv2 })).toEqual({
      status: 400,
      body: { errors: ['path is already in use at secret/'] },
    });
    expect((await vault.call('POST', 'sys/mounts/secret/nested', { body: kv2 })).status).toBe(400);
    expect((await vault.call('POST', 'sys/mounts/sys', { body: kv2 })).status).toBe(400);
    const v1 = await vault.call('POST', 'sys/mounts/kv1', { body: { type: 'kv' } });
    expect(v1.status).toBe(400);
    expect(v1.body.errors[0]).toMatch(/only KV version 2/);
    const transit = await vault.call('POST', 'sys/mounts/transit', { body: { type: 'transit' } });
    expect(transit.status).toBe(400);
    expect((await vault.call('POST', 'sys/mounts/kv', { body: { type: 'kv-v2' } })).status).toBe(
      204,
    );

    const mounts = await vault.call('GET', 'sys/mounts');
    expect(mounts.status).toBe(200);
    for (const table of [mounts.body, mounts.body.data]) {
      expect(table['secret/']).toMatchObject({ type: 'kv', options: { version: '2' } });
      expect(table['kv/']).toMatchObject({ type: 'kv', options: { version: '2' } });
      expect(table['sys/']).toMatchObject({ type: 'system' });
    }
  });

  it('enables AppRole once and refuses other auth methods', async () => {
    const approle = { type: 'approle' };
    expect((await vault.call('POST', 'sys/auth/approle', { body: approle })).status).toBe(204);
    expect(await vault.call('POST', 'sys/auth/approle', { body: approle })).toEqual({
      status: 400,
      body: { errors: ['path is already in use at approle/'] },
    });
    expect((await vault.call('POST', 'sys/auth/token', { body: approle })).status).toBe(400);
    expect((await vault.call('POST', 'sys/auth/ldap', { body: { type: 'ldap' } })).status).toBe(
      400,
    );
    const methods = await vault.call('GET', 'sys/auth');
    expect(methods.body['approle/']).toMatchObject({ type: 'approle' });
    expect(methods.body.data['token/']).toMatchObject({ type: 'token' });
  });

  it('writes, reads, lists and deletes ACL policies, refusing invalid HCL with its line', async () => {
    const hcl = 'path "secret/data/order/*" {\n  capabilities = ["read"]\n}\n';
    expect(
      (await vault.call('PUT', 'sys/policies/acl/Order', { body: { policy: hcl } })).status,
    ).toBe(204);
    const read = await vault.call('GET', 'sys/policies/acl/order');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      name: 'order',
      policy: hcl,
      data: { name: 'order', policy: hcl },
    });

    const invalid = await vault.call('POST', 'sys/policies/acl/bad', {
      body: { policy: 'path "secret/*" {\n  capabilities = ["read"]\n  max_ttl = "1h"\n}' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0]).toMatch(/^failed to parse policy: line 3: .*"max_ttl"/);
    expect((await vault.call('GET', 'sys/policies/acl/bad')).status).toBe(404);
    expect((await vault.call('PUT', 'sys/policies/acl/empty', { body: {} })).status).toBe(400);

    for (const list of [
      await vault.call('LIST', 'sys/policies/acl'),
      await vault.call('GET', 'sys/policies/acl?list=true'),
    ]) {
      expect(list.status).toBe(200);
      expect(list.body.data.keys).toEqual(['default', 'order', 'root']);
    }

    expect((await vault.call('DELETE', 'sys/policies/acl/order')).status).toBe(204);
    expect(await vault.call('GET', 'sys/policies/acl/order')).toEqual({
      status: 404,
      body: { errors: [] },
    });
    expect((await vault.call('DELETE', 'sys/policies/acl/default')).status).toBe(400);
    expect(
      (await vault.call('PUT', 'sys/policies/acl/root', { body: { policy: hcl } })).status,
    ).toBe(400);
  });
});

describe('rewriteListRequestLine', () => {
  it('turns LIST into GET ?list=true and leaves everything else alone', () => {
    expect(rewriteListRequestLine('LIST /v1/secret/metadata/a HTTP/1.1')).toBe(
      'GET /v1/secret/metadata/a?list=true HTTP/1.1',
    );
    expect(rewriteListRequestLine('LIST /v1/x?a=b HTTP/1.1')).toBe(
      'GET /v1/x?a=b&list=true HTTP/1.1',
    );
    expect(rewriteListRequestLine('GET /v1/LIST HTTP/1.1')).toBe('GET /v1/LIST HTTP/1.1');
    expect(rewriteListRequestLine('POST /v1/x HTTP/1.1')).toBe('POST /v1/x HTTP/1.1');
  });
});
