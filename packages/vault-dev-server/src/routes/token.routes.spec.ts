import { loginAsService, startTestVault, type TestVault } from '../testing/harness.js';

const ORDER_POLICY = 'path "secret/data/order/*" { capabilities = ["read"] }';

describe('tokens', () => {
  let vault: TestVault;
  beforeEach(async () => {
    vault = await startTestVault();
  });
  afterEach(() => vault.server.close());

  const lookup = (token: string) => vault.call('GET', 'auth/token/lookup-self', { token });
  const renew = (token: string, increment?: unknown) =>
    vault.call('POST', 'auth/token/renew-self', {
      token,
      body: increment === undefined ? {} : { increment },
    });

  it('describes the caller’s own token', async () => {
    const { token, auth } = await loginAsService(vault, 'order', ORDER_POLICY, {
      token_ttl: '20s',
      token_max_ttl: '1m',
    });
    vault.clock.advance(5);
    const self = await lookup(token);
    expect(self.status).toBe(200);
    expect(self.body.data).toMatchObject({
      accessor: auth.accessor,
      id: token,
      creation_time: Date.parse('2030-01-01T00:00:00Z') / 1000,
      creation_ttl: 20,
      expire_time: '2030-01-01T00:00:20.000Z',
      explicit_max_ttl: 0,
      meta: { role_name: 'order' },
      path: 'auth/approle/login',
      policies: ['default', 'order'],
      renewable: true,
      ttl: 15,
      type: 'service',
    });
  });

  it('describes the root token', async () => {
    const self = await lookup(vault.server.rootToken);
    expect(self.body.data).toMatchObject({ policies: ['root'], ttl: 0, expire_time: null });
  });

  it('refuses a token once its TTL has passed', async () => {
    const { token } = await loginAsService(vault, 'order', ORDER_POLICY, { token_ttl: '2s' });
    vault.clock.advance(1);
    expect((await lookup(token)).status).toBe(200);
    vault.clock.advance(1);
    expect(await lookup(token)).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    expect((await renew(token)).status).toBe(403);
  });

  it('renews by the token’s own TTL or a requested increment, counted from now', async () => {
    const { token } = await loginAsService(vault, 'order', ORDER_POLICY, {
      token_ttl: '20s',
      token_max_ttl: '1h',
    });
    vault.clock.advance(15);
    const renewed = await renew(token);
    expect(renewed.status).toBe(200);
    expect(renewed.body.auth).toMatchObject({
      client_token: token,
      policies: ['default', 'order'],
      lease_duration: 20,
      renewable: true,
    });
    expect(renewed.body.warnings).toBeNull();
    vault.clock.advance(15);
    expect((await lookup(token)).body.data.ttl).toBe(5); // would have expired without renewal
    expect((await renew(token, '5m')).body.auth.lease_duration).toBe(300);
    expect((await renew(token, 120)).body.auth.lease_duration).toBe(120);
  });

  it('never renews past token_max_ttl, and says so', async () => {
    const { token } = await loginAsService(vault, 'order', ORDER_POLICY, {
      token_ttl: '20s',
      token_max_ttl: 60,
    });
    vault.clock.advance(15);
    expect((await renew(token, '30s')).body.auth.lease_duration).toBe(30);
    vault.clock.advance(25);
    const capped = await renew(token, '1h');
    expect(capped.status).toBe(200);
    expect(capped.body.auth.lease_duration).toBe(20);
    expect(capped.body.warnings).toEqual([
      'TTL of "1h0m0s" exceeded the effective max_ttl of "20s"; TTL value is capped accordingly',
    ]);
    vault.clock.advance(19);
    expect((await lookup(token)).body.data.ttl).toBe(1);
    vault.clock.advance(1);
    expect((await lookup(token)).status).toBe(403);
  });

  it('a periodic token renews by its period, whatever the increment, with no maximum life', async () => {
    const { token, auth } = await loginAsService(vault, 'order', ORDER_POLICY, {
      token_period: '1m',
      token_max_ttl: '2m',
    });
    expect(auth.lease_duration).toBe(60);
    expect((await lookup(token)).body.data).toMatchObject({ period: 60, ttl: 60 });
    // Renewed within each period, it outlives token_max_ttl many times over.
    for (let minute = 0; minute < 10; minute++) {
      vault.clock.advance(50);
      const renewed = await renew(token, '1h');
      expect(renewed.status).toBe(200);
      expect(renewed.body.auth.lease_duration).toBe(60);
    }
    // Not renewed within its period, it dies like any token.
    vault.clock.advance(60);
    expect((await lookup(token)).status).toBe(403);
    // A period longer than token_max_ttl is capped at it (the period, not the life).
    const capped = await loginAsService(vault, 'order', ORDER_POLICY, { token_period: '5m' });
    expect(capped.auth.lease_duration).toBe(120);
  });

  it('revoke-self ends the caller’s token at once (204), and only that one', async () => {
    const { token, roleId, secretId } = await loginAsService(vault, 'order', ORDER_POLICY);
    const other = (
      await vault.call('POST', 'auth/approle/login', {
        token: null,
        body: { role_id: roleId, secret_id: secretId },
      })
    ).body.auth.client_token;
    const revoked = await vault.call('POST', 'auth/token/revoke-self', { token });
    expect(revoked).toEqual({ status: 204, body: undefined });
    expect(await lookup(token)).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    expect((await renew(token)).status).toBe(403);
    expect((await vault.call('POST', 'auth/token/revoke-self', { token })).status).toBe(403);
    expect((await lookup(other)).status).toBe(200);
    expect(vault.logs.filter((entry) => entry.event === 'token.revoked')).toHaveLength(1);
    // Without a token there is nothing to revoke.
    expect((await vault.call('POST', 'auth/token/revoke-self', { token: null })).status).toBe(403);
  });

  it('does not renew the root token', async () => {
    expect(await renew(vault.server.rootToken)).toEqual({
      status: 400,
      body: { errors: ['lease is not renewable'] },
    });
  });
});
