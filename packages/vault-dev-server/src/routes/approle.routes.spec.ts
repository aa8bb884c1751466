import { loginAsService, startTestVault, type TestVault } from '../testing/harness.js';

const ORDER_POLICY = 'path "secret/data/order/*" { capabilities = ["read"] }';

describe('AppRole', () => {
  let vault: TestVault;
  beforeEach(async () => {
    vault = await startTestVault();
  });
  afterEach(() => vault.server.close());

  const login = (role_id: unknown, secret_id: unknown) =>
    vault.call('POST', 'auth/approle/login', { token: null, body: { role_id, secret_id } });

  it('logs a service in with its role ID and secret ID', async () => {
    const { token, auth, roleId, secretId } = await loginAsService(vault, 'order', ORDER_POLICY, {
      token_ttl: '20m',
      token_max_ttl: '1h',
    });
    expect(roleId).toMatch(/^[0-9a-f-]{36}$/);
    expect(secretId).toMatch(/^[0-9a-f-]{36}$/);
    expect(token).toMatch(/^hvs\.[A-Za-z0-9_-]{43}$/);
    expect(auth).toMatchObject({
      client_token: token,
      policies: ['default', 'order'],
      token_policies: ['default', 'order'],
      metadata: { role_name: 'order' },
      lease_duration: 1200,
      renewable: true,
    });
    expect(typeof auth.accessor).toBe('string');
    // Every login is a new token.
    const again = await login(roleId, secretId);
    expect(again.body.auth.client_token).not.toBe(token);
  });

  it('answers wrong credentials with Vault’s single message, whichever half is wrong', async () => {
    const { roleId, secretId } = await loginAsService(vault, 'order', ORDER_POLICY);
    const refused = { status: 400, body: { errors: ['invalid role or secret ID'] } };
    expect(await login(roleId, 'not-the-secret')).toEqual(refused);
    expect(await login('not-the-role', secretId)).toEqual(refused);
    const { roleId: paymentRoleId } = await loginAsService(vault, 'payment', ORDER_POLICY);
    expect(await login(paymentRoleId, secretId)).toEqual(refused);
    expect((await login(undefined, secretId)).body.errors).toEqual(['missing role_id']);
    expect(vault.logs.filter((entry) => entry.event === 'approle.login-failed')).toHaveLength(3);
  });

  it('takes token_policies as a comma-separated string too, and keeps "default" first-class', async () => {
    await loginAsService(vault, 'order', ORDER_POLICY, { token_policies: 'order, audit' });
    const { roleId, secretId } = await loginAsService(vault, 'order', ORDER_POLICY, {
      token_policies: 'order,audit',
    });
    expect((await login(roleId, secretId)).body.auth.policies).toEqual([
      'audit',
      'default',
      'order',
    ]);
  });

  it('expires secret IDs after secret_id_ttl and spends them after secret_id_num_uses', async () => {
    const { roleId } = await loginAsService(vault, 'order', ORDER_POLICY, {
      secret_id_ttl: '30s',
      secret_id_num_uses: 2,
    });
    const issued = await vault.call('POST', 'auth/approle/role/order/secret-id');
    expect(issued.body.data).toMatchObject({ secret_id_ttl: 30, secret_id_num_uses: 2 });
    expect(typeof issued.body.data.secret_id_accessor).toBe('string');
    const secretId = issued.body.data.secret_id;
    expect((await login(roleId, secretId)).status).toBe(200);
    expect((await login(roleId, secretId)).status).toBe(200);
    expect((await login(roleId, secretId)).status).toBe(400);

    const shortLived = (await vault.call('POST', 'auth/approle/role/order/secret-id')).body.data
      .secret_id;
    vault.clock.advance(29);
    expect((await login(roleId, shortLived)).status).toBe(200);
    vault.clock.advance(1);
    expect((await login(roleId, shortLived)).status).toBe(400);
  });

  it('an admin looks up a secret ID’s uses left and expiry without spending a use', async () => {
    const { roleId } = await loginAsService(vault, 'order', ORDER_POLICY, {
      secret_id_ttl: '1h',
      secret_id_num_uses: 3,
    });
    const issued = (await vault.call('POST', 'auth/approle/role/order/secret-id')).body.data;
    const lookup = () =>
      vault.call('POST', 'auth/approle/role/order/secret-id/lookup', {
        body: { secret_id: issued.secret_id },
      });
    const first = await lookup();
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({
      secret_id_accessor: issued.secret_id_accessor,
      secret_id_num_uses: 3,
      secret_id_ttl: 3600,
      expiration_time: '2030-01-01T01:00:00.000Z',
    });
    expect((await lookup()).body.data.secret_id_num_uses).toBe(3);
    expect((await login(roleId, issued.secret_id)).status).toBe(200);
    expect((await lookup()).body.data.secret_id_num_uses).toBe(2);
    await login(roleId, issued.secret_id);
    await login(roleId, issued.secret_id);
    // Spent: gone, as in Vault (no content), and the login is refused.
    expect(await lookup()).toEqual({ status: 204, body: undefined });
    expect((await login(roleId, issued.secret_id)).status).toBe(400);
    // Expired: gone too.
    const expiring = (await vault.call('POST', 'auth/approle/role/order/secret-id')).body.data;
    vault.clock.advance(3600);
    const expired = await vault.call('POST', 'auth/approle/role/order/secret-id/lookup', {
      body: { secret_id: expiring.secret_id },
    });
    expect(expired.status).toBe(204);
    // A service's own token may not look up secret IDs (admin only).
    const { token } = await loginAsService(vault, 'order', ORDER_POLICY);
    const denied = await vault.call('POST', 'auth/approle/role/order/secret-id/lookup', {
      token,
      body: { secret_id: expiring.secret_id },
    });
    expect(denied.status).toBe(403);
  });

  it('a destroyed secret ID logs in no more', async () => {
    const { roleId, secretId } = await loginAsService(vault, 'order', ORDER_POLICY);
    const destroy = () =>
      vault.call('POST', 'auth/approle/role/order/secret-id/destroy', {
        body: { secret_id: secretId },
      });
    expect(await destroy()).toEqual({ status: 204, body: undefined });
    expect((await login(roleId, secretId)).status).toBe(400);
    expect((await destroy()).status).toBe(204);
  });

  it('lets a secret ID ask for less than its role allows, and refuses more (400), as Vault does', async () => {
    await loginAsService(vault, 'order', ORDER_POLICY, {
      secret_id_ttl: '1h',
      secret_id_num_uses: 10,
    });
    const issue = (body: object) =>
      vault.call('POST', 'auth/approle/role/order/secret-id', { body });
    const shorter = await issue({ ttl: '10m', num_uses: 1 });
    expect(shorter.body.data).toMatchObject({ secret_id_ttl: 600, secret_id_num_uses: 1 });
    expect((await issue({})).body.data).toMatchObject({
      secret_id_ttl: 3600,
      secret_id_num_uses: 10,
    });
    const moreUses = {
      status: 400,
      body: { errors: ["num_uses cannot be higher than the role's secret_id_num_uses"] },
    };
    const longer = {
      status: 400,
      body: { errors: ["ttl cannot be longer than the role's secret_id_ttl"] },
    };
    expect(await issue({ ttl: '2h' })).toEqual(longer);
    expect(await issue({ ttl: 0 })).toEqual(longer);
    expect(await issue({ num_uses: 11 })).toEqual(moreUses);
    // 0 is "unlimited": more than any limit.
    expect(await issue({ num_uses: 0 })).toEqual(moreUses);
  });

  it('ignores fields it does not know but refuses restrictions it cannot enforce', async () => {
    await loginAsService(vault, 'order', ORDER_POLICY, { role_name: 'order', mount_point: 'x' });
    const cidr = await vault.call('POST', 'auth/approle/role/order', {
      body: { token_bound_cidrs: ['10.0.0.0/8'] },
    });
    expect(cidr.status).toBe(400);
    expect(cidr.body.errors[0]).toMatch(/token_bound_cidrs/);
    const noSecret = await vault.call('POST', 'auth/approle/role/order', {
      body: { bind_secret_id: false },
    });
    expect(noSecret.status).toBe(400);
    const root = await vault.call('POST', 'auth/approle/role/order', {
      body: { token_policies: ['root'] },
    });
    expect(root).toEqual({
      status: 400,
      body: { errors: ['auth methods cannot create root tokens'] },
    });
    const ttl = await vault.call('POST', 'auth/approle/role/order', {
      body: { token_ttl: '2h', token_max_ttl: '1h' },
    });
    expect(ttl.status).toBe(400);
    const bad = await vault.call('POST', 'auth/approle/role/order', { body: { token_ttl: '1x' } });
    expect(bad.status).toBe(400);
  });

  it('answers for missing roles as Vault does', async () => {
    await vault.call('POST', 'sys/auth/approle', { body: { type: 'approle' } });
    expect(await vault.call('GET', 'auth/approle/role/ghost/role-id')).toEqual({
      status: 404,
      body: { errors: [] },
    });
    expect(await vault.call('POST', 'auth/approle/role/ghost/secret-id')).toEqual({
      status: 400,
      body: { errors: ['role "ghost" does not exist'] },
    });
  });

  it('serves AppRole only once it is enabled', async () => {
    expect((await login('a', 'b')).status).toBe(403);
    await vault.call('POST', 'sys/auth/approle', { body: { type: 'approle' } });
    expect((await login('a', 'b')).status).toBe(400);
  });
});
