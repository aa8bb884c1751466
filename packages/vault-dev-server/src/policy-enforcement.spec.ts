import { ACL_DENIED, loginAsService, startTestVault, type TestVault } from './testing/harness.js';

// What infra/vault will hold: each service reads only its own secrets.
const ORDER_POLICY = `
# order: read its own secrets, nothing else
path "secret/data/order/*" {
  capabilities = ["read"]
}
`;
const PAYMENT_POLICY = `
path "secret/data/payment/*" {
  capabilities = ["read"]
}
`;

describe('policy enforcement', () => {
  let vault: TestVault;
  let order: string;
  beforeEach(async () => {
    vault = await startTestVault();
    order = (await loginAsService(vault, 'order', ORDER_POLICY)).token;
    await loginAsService(vault, 'payment', PAYMENT_POLICY);
    for (const [path, data] of [
      ['order/db', { password: 'order-db' }],
      ['payment/psp', { api_key: 'payment-psp' }],
    ] as const) {
      await vault.call('POST', `secret/data/${path}`, { body: { data } });
    }
  });
  afterEach(() => vault.server.close());

  const as = (token: string) => ({
    call: (method: string, path: string, body?: unknown) =>
      vault.call(method, path, { token, body }),
  });

  it('lets a service read its own secrets', async () => {
    const read = await as(order).call('GET', 'secret/data/order/db');
    expect(read.status).toBe(200);
    expect(read.body.data.data).toEqual({ password: 'order-db' });
  });

  it('refuses another service’s secrets with Vault’s 403', async () => {
    expect(await as(order).call('GET', 'secret/data/payment/psp')).toEqual({
      status: 403,
      body: ACL_DENIED,
    });
    const denial = vault.logs.find((entry) => entry.event === 'acl.denied');
    expect(denial).toMatchObject({
      path: 'secret/data/payment/psp',
      capability: 'read',
      policies: ['default', 'order'],
    });
    expect(JSON.stringify(denial)).not.toContain(order);
  });

  it('refuses what the policy does not list, even on the service’s own paths', async () => {
    const own = as(order);
    expect(
      (await own.call('POST', 'secret/data/order/db', { data: { password: 'x' } })).status,
    ).toBe(403);
    expect(
      (await own.call('POST', 'secret/data/order/new', { data: { password: 'x' } })).status,
    ).toBe(403);
    expect((await own.call('DELETE', 'secret/metadata/order/db')).status).toBe(403);
    expect((await own.call('LIST', 'secret/metadata/order')).status).toBe(403);
    expect((await own.call('GET', 'secret/metadata/order/db')).status).toBe(403);
    expect((await vault.call('GET', 'secret/data/order/db')).body.data.data).toEqual({
      password: 'order-db',
    });
  });

  it('refuses dot segments smuggled past URL normalization', async () => {
    const climb = await as(order).call('GET', 'secret/data/order%2F..%2Fpayment/psp');
    expect(climb.status).toBe(400);
    const literal = await as(order).call('GET', 'secret/data/order/../payment/psp');
    expect(literal).toEqual({ status: 403, body: ACL_DENIED });
  });

  it('answers a path nothing serves with 403 too, so a token cannot map the API', async () => {
    expect((await as(order).call('GET', 'no/such/route')).status).toBe(403);
  });

  it('keeps sys/ endpoints (but health) from a token whose policy does not grant them', async () => {
    const own = as(order);
    expect((await own.call('GET', 'sys/health')).status).toBe(200);
    expect((await own.call('GET', 'sys/mounts')).status).toBe(403);
    expect((await own.call('GET', 'sys/auth')).status).toBe(403);
    expect((await own.call('LIST', 'sys/policies/acl')).status).toBe(403);
    expect((await own.call('GET', 'sys/policies/acl/payment')).status).toBe(403);
    expect(
      (
        await own.call('PUT', 'sys/policies/acl/order', {
          policy: 'path "*" { capabilities = ["sudo"] }',
        })
      ).status,
    ).toBe(403);
    expect((await own.call('POST', 'sys/mounts/mine', { type: 'kv-v2' })).status).toBe(403);
    expect((await own.call('POST', 'auth/approle/role/order/secret-id')).status).toBe(403);
    expect((await own.call('GET', 'auth/approle/role/payment/role-id')).status).toBe(403);
  });

  it('needs no sudo where Vault needs none: mounts, auth listing, ACL policies', async () => {
    const { token: operator } = await loginAsService(
      vault,
      'operator',
      `path "sys/policies/acl/*" { capabilities = ["read"] }
       path "sys/mounts" { capabilities = ["read"] }
       path "sys/mounts/*" { capabilities = ["create", "update"] }
       path "sys/auth" { capabilities = ["read"] }`,
    );
    expect((await as(operator).call('GET', 'sys/policies/acl/order')).status).toBe(200);
    expect((await as(operator).call('GET', 'sys/mounts')).status).toBe(200);
    expect((await as(operator).call('GET', 'sys/auth')).status).toBe(200);
    const mounted = await as(operator).call('POST', 'sys/mounts/team', { type: 'kv-v2' });
    expect(mounted.status).toBe(204);
    // Reading a policy is not writing one.
    expect(
      (await as(operator).call('PUT', 'sys/policies/acl/order', { policy: ORDER_POLICY })).status,
    ).toBe(403);
  });

  it('asks for sudo on Vault’s root paths on top of the operation’s own capability', async () => {
    const rootPaths = (capabilities: string) =>
      ['sys/auth/*', 'sys/audit', 'sys/audit/*', 'sys/seal']
        .map((path) => `path "${path}" { capabilities = [${capabilities}] }`)
        .join('\n');
    const { token: plain } = await loginAsService(
      vault,
      'plain',
      rootPaths('"read", "create", "update"'),
    );
    const { token: admin } = await loginAsService(
      vault,
      'admin',
      rootPaths('"read", "create", "update", "sudo"'),
    );
    for (const [method, path, body] of [
      ['POST', 'sys/auth/userpass', { type: 'approle' }],
      ['GET', 'sys/audit', undefined],
      ['PUT', 'sys/audit/file', { type: 'file', options: { file_path: 'discard' } }],
      ['PUT', 'sys/seal', undefined],
    ] as const) {
      expect([path, (await as(plain).call(method, path, body)).status]).toEqual([path, 403]);
    }
    expect((await as(admin).call('POST', 'sys/auth/userpass', { type: 'approle' })).status).toBe(
      204,
    );
    expect((await as(admin).call('GET', 'sys/audit')).status).toBe(200);
    expect(
      vault.logs.filter(
        (entry) => entry.event === 'acl.denied' && entry.capability === 'read+sudo',
      ),
    ).toHaveLength(1);
  });

  it('tells create from update on KV writes', async () => {
    const { token: creator } = await loginAsService(
      vault,
      'creator',
      'path "secret/data/inbox/*" { capabilities = ["create"] }',
    );
    const { token: updater } = await loginAsService(
      vault,
      'updater',
      'path "secret/data/inbox/*" { capabilities = ["update"] }',
    );
    expect((await as(creator).call('POST', 'secret/data/inbox/a', { data: { v: 1 } })).status).toBe(
      200,
    );
    expect((await as(creator).call('POST', 'secret/data/inbox/a', { data: { v: 2 } })).status).toBe(
      403,
    );
    expect((await as(updater).call('POST', 'secret/data/inbox/a', { data: { v: 2 } })).status).toBe(
      200,
    );
    expect((await as(updater).call('POST', 'secret/data/inbox/b', { data: { v: 1 } })).status).toBe(
      403,
    );
  });

  it('gives every token the default policy: its own lookup and renewal, nothing more', async () => {
    const { token } = await loginAsService(vault, 'bare', '# grants nothing\n');
    expect((await as(token).call('GET', 'auth/token/lookup-self')).status).toBe(200);
    expect((await as(token).call('POST', 'auth/token/renew-self')).status).toBe(200);
    expect((await as(token).call('GET', 'secret/data/order/db')).status).toBe(403);
  });

  it('applies a policy change to tokens already issued', async () => {
    expect((await as(order).call('GET', 'secret/data/payment/psp')).status).toBe(403);
    await vault.call('PUT', 'sys/policies/acl/order', {
      body: {
        policy: `${ORDER_POLICY}\npath "secret/data/payment/psp" { capabilities = ["read"] }`,
      },
    });
    expect((await as(order).call('GET', 'secret/data/payment/psp')).status).toBe(200);
    await vault.call('DELETE', 'sys/policies/acl/order');
    expect((await as(order).call('GET', 'secret/data/order/db')).status).toBe(403);
  });

  it('lets list rules work with or without the trailing slash', async () => {
    const { token } = await loginAsService(
      vault,
      'lister',
      'path "secret/metadata/order" { capabilities = ["list"] }',
    );
    expect((await as(token).call('LIST', 'secret/metadata/order')).body.data.keys).toEqual(['db']);
    expect((await as(token).call('GET', 'secret/metadata/order?list=true')).status).toBe(200);
    expect((await as(token).call('GET', 'secret/metadata/order')).status).toBe(403);
  });
});
