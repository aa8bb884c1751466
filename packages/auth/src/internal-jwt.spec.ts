import { createHmac } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { mintInternalJwt, INTERNAL_JWT_ISSUER } from './internal-jwt.js';
import { InternalJwtVerifier } from './internal-jwt-verifier.js';
import { JwksCache } from './jwks-cache.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('internal JWT verification', () => {
  let key: { kid: string; privateKey: CryptoKey };
  let publicJwk: Record<string, unknown>;
  let fetches: number;
  let verifier: InternalJwtVerifier;
  const alice = { id: 'u-alice', role: 'customer' as const };

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = { kid: 'k1', privateKey: pair.privateKey };
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  });

  beforeEach(() => {
    fetches = 0;
    const jwks = new JwksCache(
      async () => {
        fetches++;
        return [publicJwk];
      },
      { minRefreshIntervalMs: 60_000, retries: 0 },
    );
    verifier = new InternalJwtVerifier('order', jwks);
  });

  it('accepts a token minted for its audience', async () => {
    const { jwt } = await mintInternalJwt(key, alice, ['order', 'payment'], 30);
    await expect(verifier.verify(jwt)).resolves.toMatchObject({ sub: 'u-alice', role: 'customer' });
  });

  it('keeps a credential scoped to nothing scoped: an empty scope claim is no scopes, not the role', async () => {
    const keyOf = (scopes: string[]) => ({ ...alice, scopes });
    const none = await mintInternalJwt(key, keyOf([]), ['order'], 30);
    await expect(verifier.verify(none.jwt)).resolves.toMatchObject({ scopes: [] });
    const some = await mintInternalJwt(key, keyOf(['orders:read:own']), ['order'], 30);
    await expect(verifier.verify(some.jwt)).resolves.toMatchObject({ scopes: ['orders:read:own'] });
    // A session has no scope claim at all.
    const session = await mintInternalJwt(key, alice, ['order'], 30);
    expect(await verifier.verify(session.jwt)).not.toHaveProperty('scopes');
  });

  it('rejects a scope claim that is not a string rather than reading it as unscoped', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ role: 'customer', scope: ['orders:read:own'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer(INTERNAL_JWT_ISSUER)
      .setSubject('u-alice')
      .setAudience('order')
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 30)
      .setJti('j')
      .sign(key.privateKey);
    await expect(verifier.verify(jwt)).rejects.toThrow(/scope/);
  });

  it('rejects a token for another audience', async () => {
    const { jwt } = await mintInternalJwt(key, alice, ['auth'], 30);
    await expect(verifier.verify(jwt)).rejects.toThrow(/aud/);
  });

  it('rejects a tampered payload', async () => {
    const { jwt } = await mintInternalJwt(key, alice, ['order'], 30);
    const [header, , signature] = jwt.split('.');
    const payload = b64({
      ...JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()),
      role: 'admin',
    });
    await expect(verifier.verify(`${header}.${payload}.${signature}`)).rejects.toThrow(/signature/);
  });

  it('rejects alg:none', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${b64({ alg: 'none', typ: 'at+jwt', kid: 'k1' })}.${b64({ sub: 'x', role: 'admin', aud: 'order', iss: INTERNAL_JWT_ISSUER, iat: now, nbf: now, exp: now + 30, jti: 'j' })}.`;
    await expect(verifier.verify(token)).rejects.toThrow();
  });

  it('rejects HS256 signed with the public key as the secret', async () => {
    const now = Math.floor(Date.now() / 1000);
    const signingInput = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })}.${b64({ sub: 'x', role: 'admin', aud: 'order', iss: INTERNAL_JWT_ISSUER, iat: now, nbf: now, exp: now + 30, jti: 'j' })}`;
    const mac = createHmac('sha256', JSON.stringify(publicJwk))
      .update(signingInput)
      .digest('base64url');
    await expect(verifier.verify(`${signingInput}.${mac}`)).rejects.toThrow(/alg/);
  });

  it('rejects an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ role: 'customer' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer(INTERNAL_JWT_ISSUER)
      .setSubject('u-alice')
      .setAudience('order')
      .setIssuedAt(now - 120)
      .setNotBefore(now - 120)
      .setExpirationTime(now - 60)
      .setJti('j')
      .sign(key.privateKey);
    await expect(verifier.verify(jwt)).rejects.toThrow(/exp/);
  });

  it('unknown kids are refused, and all of them together cost auth one JWKS fetch', async () => {
    const other = await generateKeyPair('ES256');
    const forged = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        mintInternalJwt({ kid: `forged-${i}`, privateKey: other.privateKey }, alice, ['order'], 30),
      ),
    );
    const results = await Promise.allSettled(forged.map(({ jwt }) => verifier.verify(jwt)));
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect(String((result as PromiseRejectedResult).reason)).toMatch(/unknown kid/);
    }
    expect(fetches).toBe(1);
  });
});
