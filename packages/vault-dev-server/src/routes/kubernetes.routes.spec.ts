import { generateKeyPair, exportSPKI, SignJWT, type CryptoKey } from 'jose';
import { startKubernetesStandIn, type KubernetesStandIn } from '../kubernetes-stand-in.js';
import { startTestVault, type TestVault } from '../testing/harness.js';
import { globMatches } from './kubernetes.routes.js';

const ORDER_POLICY = 'path "secret/data/citadel/order/*" { capabilities = ["read"] }';

describe('Kubernetes auth', () => {
  let vault: TestVault;
  let cluster: KubernetesStandIn;

  beforeEach(async () => {
    vault = await startTestVault();
    cluster = await startKubernetesStandIn({ now: vault.clock.now });
    expect(
      (await vault.call('POST', 'sys/auth/kubernetes', { body: { type: 'kubernetes' } })).status,
    ).toBe(204);
    await vault.call('PUT', 'sys/policies/acl/order', { body: { policy: ORDER_POLICY } });
  });
  afterEach(async () => {
    await vault.server.close();
    await cluster.close();
  });

  const configure = (fields: Record<string, unknown> = {}) =>
    vault.call('POST', 'auth/kubernetes/config', {
      body: { kubernetes_host: cluster.url, pem_keys: [cluster.publicKeyPem], ...fields },
    });
  const writeRole = (fields: Record<string, unknown> = {}) =>
    vault.call('POST', 'auth/kubernetes/role/citadel-order', {
      body: {
        bound_service_account_names: 'order',
        bound_service_account_namespaces: 'citadel',
        audience: 'vault',
        token_policies: 'order',
        token_period: '1h',
        ...fields,
      },
    });
  const login = (jwt: unknown, role: unknown = 'citadel-order') =>
    vault.call('POST', 'auth/kubernetes/login', { token: null, body: { role, jwt } });
  const podToken = (fields: Partial<Parameters<KubernetesStandIn['token']>[0]> = {}) =>
    cluster.token({
      namespace: 'citadel',
      serviceAccount: 'order',
      audience: 'vault',
      expiresInS: 600,
      issuedAt: vault.clock.now(),
      ...fields,
    });

  it('logs a pod in with its projected service-account token, with the role’s policies', async () => {
    expect((await configure()).status).toBe(204);
    expect((await writeRole()).status).toBe(204);
    const answer = await login(await podToken());
    expect(answer.status).toBe(200);
    expect(answer.body.auth).toMatchObject({
      policies: ['default', 'order'],
      lease_duration: 3600,
      renewable: true,
      metadata: {
        role: 'citadel-order',
        service_account_name: 'order',
        service_account_namespace: 'citadel',
      },
    });
    expect(cluster.reviews).toBe(1);
    const lookup = await vault.call('GET', 'auth/token/lookup-self', {
      token: answer.body.auth.client_token,
    });
    expect(lookup.body.data).toMatchObject({
      display_name: 'kubernetes-citadel-order',
      path: 'auth/kubernetes/login',
      period: 3600,
    });
  });

  it('refuses another service account, another namespace, another audience, in Vault’s words', async () => {
    await configure();
    await writeRole();
    const refused = (message: string) => ({ status: 403, body: { errors: [message] } });
    expect(await login(await podToken({ serviceAccount: 'payment' }))).toEqual(
      refused('service account name not authorized'),
    );
    expect(await login(await podToken({ namespace: 'default' }))).toEqual(
      refused('namespace not authorized'),
    );
    expect(
      await login(await podToken({ audience: 'https://kubernetes.default.svc.cluster.local' })),
    ).toEqual(
      refused('invalid audience (aud) claim: audience claim does not match any expected audience'),
    );
    // None of them reached the cluster: the claims were refused first.
    expect(cluster.reviews).toBe(0);
    expect(vault.logs.filter((entry) => entry.event === 'kubernetes.login-failed')).toHaveLength(3);
  });

  it('refuses an expired token, past the 60 s of clock skew Vault allows', async () => {
    await configure();
    await writeRole();
    const jwt = await podToken({ expiresInS: 600 });
    vault.clock.advance(599);
    expect((await login(jwt)).status).toBe(200);
    vault.clock.advance(1 + 60 + 1);
    expect(await login(jwt)).toEqual({
      status: 403,
      body: { errors: ['invalid expiration time (exp) claim: token is expired'] },
    });
  });

  it('refuses a token signed by another key when pem_keys is set, without asking the cluster', async () => {
    await configure();
    await writeRole();
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({
      'kubernetes.io': { namespace: 'citadel', serviceaccount: { name: 'order', uid: 'x' } },
    })
      .setProtectedHeader({ alg: 'ES256' })
      .setAudience('vault')
      .setIssuedAt(Math.floor(vault.clock.now() / 1000))
      .setExpirationTime(Math.floor(vault.clock.now() / 1000) + 600)
      .sign(privateKey);
    expect(await login(forged)).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    expect(await login('not.a.jwt')).toEqual({
      status: 403,
      body: { errors: ['permission denied'] },
    });
    // An unsigned token (alg none) is never accepted, keys or not.
    const [, payload] = (await podToken()).split('.');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    expect((await login(unsigned)).status).toBe(403);
    await configure({ pem_keys: [] });
    expect((await login(unsigned)).status).toBe(403);
    expect(cluster.reviews).toBe(0);
  });

  it('without pem_keys, lets the TokenReview decide: a forged or deleted account’s token is refused', async () => {
    await configure({ pem_keys: [] });
    await writeRole();
    const { privateKey } = await generateKeyPair('ES256');
    const genuine = await podToken();
    const forged = await new SignJWT({
      'kubernetes.io': {
        namespace: 'citadel',
        serviceaccount: { name: 'order', uid: 'made-up' },
      },
    })
      .setProtectedHeader({ alg: 'ES256' })
      .setAudience('vault')
      .setIssuedAt(Math.floor(vault.clock.now() / 1000))
      .setExpirationTime(Math.floor(vault.clock.now() / 1000) + 600)
      .sign(privateKey);
    expect(await login(forged)).toEqual({ status: 403, body: { errors: ['permission denied'] } });
    expect((await login(genuine)).status).toBe(200);
    // A deleted pod or account: the token is unexpired, and still refused.
    cluster.deleteServiceAccount('citadel', 'order');
    expect(await login(genuine)).toEqual({ status: 403, body: { errors: ['permission denied'] } });
  });

  it('refuses every login when the cluster cannot be asked', async () => {
    await configure({ kubernetes_host: 'http://127.0.0.1:9' });
    await writeRole();
    expect(await login(await podToken())).toEqual({
      status: 403,
      body: { errors: ['permission denied'] },
    });
  });

  it('checks iss only when issuer validation is turned on', async () => {
    await configure({ issuer: 'https://elsewhere.example', disable_iss_validation: false });
    await writeRole();
    expect(await login(await podToken())).toEqual({
      status: 403,
      body: { errors: ['invalid issuer (iss) claim'] },
    });
    await configure({ issuer: cluster.issuer, disable_iss_validation: false });
    expect((await login(await podToken())).status).toBe(200);
  });

  it('answers a bad request as Vault does', async () => {
    expect((await login(await podToken())).body.errors).toEqual([
      'invalid role name "citadel-order"',
    ]);
    await writeRole();
    expect(await login(await podToken())).toEqual({
      status: 500,
      body: { errors: ['could not load backend configuration'] },
    });
    expect((await login(undefined)).body.errors).toEqual(['missing jwt']);
    expect((await login('x', '')).body.errors).toEqual(['missing role']);
    expect((await vault.call('POST', 'auth/kubernetes/config', { body: {} })).body.errors).toEqual([
      'no host provided',
    ]);
    expect((await configure({ pem_keys: ['not a key'] })).body.errors).toEqual([
      'data does not contain any valid RSA or ECDSA public keys',
    ]);
  });

  it('validates roles as Vault does, and refuses restrictions it cannot enforce', async () => {
    const role = (fields: Record<string, unknown>) =>
      vault.call('POST', 'auth/kubernetes/role/r', { body: fields });
    expect((await role({ bound_service_account_namespaces: 'citadel' })).body.errors).toEqual([
      '"bound_service_account_names" can not be empty',
    ]);
    expect((await role({ bound_service_account_names: 'order' })).body.errors).toEqual([
      '"bound_service_account_namespaces" can not be empty if "bound_service_account_namespace_selector" is not set',
    ]);
    const both = {
      bound_service_account_names: 'order',
      bound_service_account_namespaces: 'citadel',
    };
    expect(
      (await role({ ...both, bound_service_account_names: ['*', 'order'] })).body.errors,
    ).toEqual(['can not mix "*" with values']);
    expect((await role({ ...both, token_ttl: '2h', token_max_ttl: '1h' })).body.errors).toEqual([
      'token ttl should not be greater than token max ttl',
    ]);
    expect((await role({ ...both, token_policies: 'root' })).status).toBe(400);
    expect((await role({ ...both, token_bound_cidrs: ['10.0.0.0/8'] })).status).toBe(400);
    // No audience: written, with Vault's warning.
    const unbound = await role(both);
    expect(unbound.status).toBe(200);
    expect(unbound.body.warnings[0]).toMatch(/does not specify an audience/);
    expect((await vault.call('GET', 'auth/kubernetes/role/r')).body.data).toMatchObject({
      bound_service_account_names: ['order'],
      bound_service_account_namespaces: ['citadel'],
      audience: '',
    });
  });

  it('keeps the reviewer JWT to itself, and its configuration across a rewrite', async () => {
    const reviewer = await cluster.token({ namespace: 'vault', serviceAccount: 'vault' });
    expect((await configure({ token_reviewer_jwt: reviewer })).status).toBe(204);
    const read = await vault.call('GET', 'auth/kubernetes/config');
    expect(read.body.data).toEqual({
      kubernetes_host: cluster.url,
      kubernetes_ca_cert: '',
      pem_keys: [cluster.publicKeyPem],
      issuer: '',
      disable_iss_validation: true,
      disable_local_ca_jwt: false,
    });
    expect(JSON.stringify(read.body)).not.toContain(reviewer);
    // The reviewer's token, not the pod's, is what the cluster sees as the caller.
    await writeRole();
    expect((await login(await podToken())).status).toBe(200);
    const rsa = await generateKeyPair('RS256');
    expect(
      (await configure({ pem_keys: [await exportSPKI(rsa.publicKey as CryptoKey)] })).status,
    ).toBe(204);
  });

  it('needs sudo to enable the method, and a policy to configure it', async () => {
    const limited = 'path "auth/kubernetes/*" { capabilities = ["read"] }';
    await vault.call('PUT', 'sys/policies/acl/limited', { body: { policy: limited } });
    await vault.call('POST', 'sys/auth/approle', { body: { type: 'approle' } });
    await vault.call('POST', 'auth/approle/role/limited', {
      body: { token_policies: 'limited' },
    });
    const roleId = (await vault.call('GET', 'auth/approle/role/limited/role-id')).body.data.role_id;
    const secretId = (await vault.call('POST', 'auth/approle/role/limited/secret-id')).body.data
      .secret_id;
    const token = (
      await vault.call('POST', 'auth/approle/login', {
        token: null,
        body: { role_id: roleId, secret_id: secretId },
      })
    ).body.auth.client_token;
    expect(
      (
        await vault.call('POST', 'auth/kubernetes/config', {
          token,
          body: { kubernetes_host: 'x' },
        })
      ).status,
    ).toBe(403);
    expect(
      (await vault.call('POST', 'sys/auth/k8s', { token, body: { type: 'kubernetes' } })).status,
    ).toBe(403);
  });
});

describe('globMatches (go-glob, as bound names use it)', () => {
  it.each([
    ['order', 'order', true],
    ['order', 'orders', false],
    ['ord*', 'order', true],
    ['*der', 'order', true],
    ['o*d*r', 'order', true],
    ['o*x*r', 'order', false],
    ['*', 'anything', true],
    ['or*der', 'order', true],
    ['order*order', 'order', false],
  ])('%s against %s → %s', (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });
});
