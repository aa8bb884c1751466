import { loginAsService, startTestVault, type TestVault } from '../testing/harness.js';

const ORDER_POLICY = 'path "secret/data/order/*" { capabilities = ["read"] }';
const SEALED = { errors: ['Vault is sealed'] };

describe('the seal (sys/seal-status, sys/unseal, sys/seal)', () => {
  let vault: TestVault;
  beforeEach(async () => {
    vault = await startTestVault();
  });
  afterEach(() => vault.server.close());

  const status = async () => (await vault.call('GET', 'sys/seal-status', { token: null })).body;

  it('reports an unsealed one-share Shamir seal without a token', async () => {
    expect(await status()).toMatchObject({
      type: 'shamir',
      initialized: true,
      sealed: false,
      t: 1,
      n: 1,
      progress: 0,
    });
  });

  it('once sealed, refuses every other path with 503 before looking at the token, as Vault does', async () => {
    const { token } = await loginAsService(vault, 'order', ORDER_POLICY);
    expect((await vault.call('PUT', 'sys/seal')).status).toBe(204);

    expect(await status()).toMatchObject({ sealed: true });
    const health = await vault.call('GET', 'sys/health', { token: null });
    expect([health.status, health.body.sealed]).toEqual([503, true]);
    for (const [method, path, sent] of [
      ['GET', 'secret/data/order/tls', token],
      ['POST', 'auth/approle/login', null],
      ['GET', 'sys/mounts', undefined],
      ['GET', 'no/such/path', 'not-a-token'],
    ] as const) {
      const body = method === 'POST' ? {} : undefined;
      const reply = await vault.call(method, path, { token: sent, body });
      expect([path, reply.status, reply.body]).toEqual([path, 503, SEALED]);
    }
  });

  it('unseals with the key share only; a wrong or malformed key leaves it sealed', async () => {
    await vault.call('PUT', 'sys/seal');
    const unseal = (body: unknown) => vault.call('PUT', 'sys/unseal', { token: null, body });

    const wrong = await unseal({ key: Buffer.alloc(32, 7).toString('base64') });
    expect([wrong.status, wrong.body]).toEqual([400, { errors: [expect.any(String)] }]);
    expect((await unseal({ key: 'not a key!' })).status).toBe(400);
    expect((await unseal({})).status).toBe(400);
    expect(await status()).toMatchObject({ sealed: true });
    expect(vault.logs.filter((entry) => entry.event === 'vault.unseal-refused')).toHaveLength(1);

    const right = await unseal({ key: vault.server.unsealKey });
    expect([right.status, right.body.sealed]).toEqual([200, false]);
    expect((await vault.call('GET', 'sys/mounts')).status).toBe(200);
    // Hex works too, as in Vault; an unsealed Vault just reports its status.
    const hex = Buffer.from(vault.server.unsealKey, 'base64').toString('hex');
    expect((await unseal({ key: hex })).body.sealed).toBe(false);
  });

  it('lets only a token with sudo on sys/seal seal it', async () => {
    const { token } = await loginAsService(vault, 'order', ORDER_POLICY);
    expect((await vault.call('PUT', 'sys/seal', { token })).status).toBe(403);
    expect((await vault.call('PUT', 'sys/seal', { token: null })).status).toBe(403);
    expect(await status()).toMatchObject({ sealed: false });
  });

  it('starts sealed when asked, with the key it was given, as a restarted Vault comes back', async () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const restarted = await startTestVault({ sealed: true, unsealKey: key });
    try {
      expect(restarted.server.unsealKey).toBe(key);
      expect((await restarted.call('GET', 'sys/mounts')).status).toBe(503);
      const reply = await restarted.call('PUT', 'sys/unseal', { token: null, body: { key } });
      expect(reply.body.sealed).toBe(false);
      expect((await restarted.call('GET', 'sys/mounts')).status).toBe(200);
    } finally {
      await restarted.server.close();
    }
  });
});
