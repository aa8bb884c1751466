import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JWK,
} from 'jose';
import {
  DEVICE_TOKEN_AUDIENCE,
  DEVICE_TOKEN_TTL_S,
  DEVICE_TOKEN_TYP,
  mintDeviceToken,
  verifyDeviceToken,
} from './device-token.js';
import { INTERNAL_JWT_ISSUER, mintInternalJwt, verifyInternalJwt } from './internal-jwt.js';

async function signingKey(kid = 'k1') {
  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { key: { kid, privateKey: pair.privateKey }, keys: createLocalJWKSet({ keys: [jwk] }) };
}

describe('device tokens', () => {
  it('are typed, long-lived and bound to the account, verifiable from the JWKS', async () => {
    const { key, keys } = await signingKey();
    const token = await mintDeviceToken(key, { id: 'user-1', email: ' Alice@X.test' });
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      issuer: INTERNAL_JWT_ISSUER,
      audience: DEVICE_TOKEN_AUDIENCE,
      typ: DEVICE_TOKEN_TYP,
    });
    expect(protectedHeader.kid).toBe('k1');
    expect(payload).toMatchObject({ sub: 'user-1', email: 'alice@x.test' });
    expect(payload.exp! - payload.iat!).toBe(DEVICE_TOKEN_TTL_S);
    expect(await verifyDeviceToken(token, keys, 'alice@x.test')).toBe(payload.jti);
  });

  it('name a device for their own account only', async () => {
    const { key, keys } = await signingKey();
    const token = await mintDeviceToken(key, { id: 'user-1', email: 'alice@x.test' });
    expect(await verifyDeviceToken(token, keys, 'bob@x.test')).toBeUndefined();
  });

  it('are not accepted when another key signed them, or when they are internal JWTs', async () => {
    const { key, keys } = await signingKey();
    const other = await signingKey();
    const foreign = await mintDeviceToken(other.key, { id: 'user-1', email: 'a@x.test' });
    expect(await verifyDeviceToken(foreign, keys, 'a@x.test')).toBeUndefined();
    const { jwt: internal } = await mintInternalJwt(
      key,
      { id: 'user-1', role: 'customer', email: 'a@x.test' },
      [DEVICE_TOKEN_AUDIENCE],
      60,
    );
    expect(await verifyDeviceToken(internal, keys, 'a@x.test')).toBeUndefined();
  });

  it('are no internal JWT: no service accepts one as such', async () => {
    const { key, keys } = await signingKey();
    const token = await mintDeviceToken(key, { id: 'user-1', email: 'a@x.test' });
    expect(decodeProtectedHeader(token).typ).not.toBe('at+jwt');
    await expect(verifyInternalJwt(token, keys, DEVICE_TOKEN_AUDIENCE)).rejects.toThrow();
  });
});
