// Attack point 1 (the README's attack table): the client sends a fake or tampered identity token.
// At the edge only opaque tokens are accepted; inside, every service verifies the
// internal JWT itself (ES256, pinned alg, iss/aud/exp/nbf, known kid).
import { createHmac } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { api, expectProblem, tokenFor } from './support/http.js';
import { grpcClient, internalJwtFor } from './support/grpc.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const ISSUER = 'https://auth.citadel.local';
const now = () => Math.floor(Date.now() / 1000);

describe('attack 1: forged or tampered identity tokens', () => {
  let aliceToken: string;
  let aliceJwt: string;

  beforeAll(async () => {
    aliceToken = await tokenFor('alice');
    aliceJwt = await internalJwtFor(aliceToken, 'order');
  });

  describe('at the gateway (opaque tokens only)', () => {
    const forged = [
      ['no token at all', undefined],
      ['a random string', 'not-a-token'],
      ['a well-formed but unknown opaque token', `cit_at_${'A'.repeat(43)}`],
      ['an opaque token with one character changed', 'tamper'],
      ['a genuine internal JWT (never valid at the edge)', 'jwt'],
    ] as const;

    it.each(forged)('%s → 401 problem', async (_name, kind) => {
      let token: string | undefined = kind;
      if (kind === 'tamper')
        token = aliceToken.slice(0, -1) + (aliceToken.endsWith('A') ? 'B' : 'A');
      if (kind === 'jwt') token = aliceJwt;
      const response = await api('GET', '/v1/orders', token ? { token } : {});
      expectProblem(response, 401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
    });

    it('the genuine token still works (the checks above are not vacuous)', async () => {
      expect((await api('GET', '/v1/orders', { token: aliceToken })).status).toBe(200);
    });
  });

  describe('at the order service, presented by a caller with a valid certificate', () => {
    const order = () => grpcClient('order', 'gateway');
    const listOrders = async (jwt: string) => {
      const client = order();
      try {
        return await client.rpc.listOrders({}, jwt);
      } finally {
        client.close();
      }
    };
    const claimsOf = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    const headerOf = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString());

    it('a genuine JWT for order is accepted', async () => {
      expect((await listOrders(aliceJwt)).code).toBe(status.OK);
    });

    it('a tampered payload (role escalated to admin) → UNAUTHENTICATED', async () => {
      const [header, , signature] = aliceJwt.split('.');
      const payload = b64({ ...claimsOf(aliceJwt), role: 'admin' });
      expect((await listOrders(`${header}.${payload}.${signature}`)).code).toBe(
        status.UNAUTHENTICATED,
      );
    });

    it('alg:none → UNAUTHENTICATED', async () => {
      const token = `${b64({ alg: 'none', typ: 'at+jwt', kid: headerOf(aliceJwt).kid })}.${b64({ ...claimsOf(aliceJwt), role: 'admin' })}.`;
      expect((await listOrders(token)).code).toBe(status.UNAUTHENTICATED);
    });

    it('HS256 signed with the public key as HMAC secret → UNAUTHENTICATED', async () => {
      const auth = grpcClient('auth', 'order');
      const { response } = await auth.rpc.getJwks({});
      auth.close();
      const jwk = response.keys.find((key) => key.kid === headerOf(aliceJwt).kid)!;
      const input = `${b64({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid })}.${b64({ ...claimsOf(aliceJwt), role: 'admin' })}`;
      for (const secret of [JSON.stringify(jwk), `${jwk.x}${jwk.y}`]) {
        const mac = createHmac('sha256', secret).update(input).digest('base64url');
        expect((await listOrders(`${input}.${mac}`)).code).toBe(status.UNAUTHENTICATED);
      }
    });

    it('a JWT signed by an attacker key, with a known kid or an unknown kid → UNAUTHENTICATED', async () => {
      const attacker = await generateKeyPair('ES256');
      for (const kid of [headerOf(aliceJwt).kid, 'attacker-key']) {
        const token = await new SignJWT({ role: 'admin' })
          .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
          .setIssuer(ISSUER)
          .setSubject(claimsOf(aliceJwt).sub)
          .setAudience(['order', 'payment'])
          .setIssuedAt()
          .setNotBefore(now())
          .setExpirationTime(now() + 30)
          .setJti('forged')
          .sign(attacker.privateKey);
        expect((await listOrders(token)).code).toBe(status.UNAUTHENTICATED);
      }
      expect(await exportJWK(attacker.publicKey)).toHaveProperty('crv', 'P-256');
    });

    it('a genuine JWT for another audience (auth) → UNAUTHENTICATED', async () => {
      expect((await listOrders(await internalJwtFor(aliceToken, 'auth'))).code).toBe(
        status.UNAUTHENTICATED,
      );
    });

    it('a genuine token past its exp → UNAUTHENTICATED (and it worked before)', async () => {
      const auth = grpcClient('auth', 'gateway');
      const { response } = await auth.rpc.exchangeToken({
        access_token: aliceToken,
        audience: 'order',
        ttl_seconds: 1,
      });
      auth.close();
      const shortLived: string = response.jwt;
      expect((await listOrders(shortLived)).code).toBe(status.OK);
      // Wait on the condition, bounded: exp plus the verifiers' 5 s clock tolerance.
      const deadline = (claimsOf(shortLived).exp + 8) * 1000;
      let code = status.OK;
      while (code === status.OK && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        code = (await listOrders(shortLived)).code;
      }
      expect(code).toBe(status.UNAUTHENTICATED);
      expect(Date.now()).toBeGreaterThan(claimsOf(shortLived).exp * 1000);
    });

    it('the internal JWT lives at most 60 s and carries a pinned ES256 header', () => {
      const claims = claimsOf(aliceJwt);
      expect(claims.exp - claims.iat).toBeLessThanOrEqual(60);
      expect(headerOf(aliceJwt)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      expect(claims.aud).toEqual(['order', 'payment']);
    });
  });
});
