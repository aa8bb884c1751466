import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { INTERNAL_JWT_ISSUER, verifyInternalJwt } from '@citadel/auth';
import { KeyRing } from '../signing/key-ring.js';
import { storedSigningKey } from '../signing/stored-signing-key.fixture.js';
import {
  DEVICE_TOKEN_AUDIENCE,
  DEVICE_TOKEN_TTL_S,
  DEVICE_TOKEN_TYP,
  mintDeviceToken,
} from './device-token.js';

describe('mintDeviceToken', () => {
  it('signs a typed, long-lived token bound to the account, verifiable from the JWKS', async () => {
    const ring = await KeyRing.load([await storedSigningKey()]);
    const token = await mintDeviceToken(ring.current(), { id: 'user-1', email: ' Alice@X.test' });
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createLocalJWKSet({ keys: ring.jwks() }),
      { issuer: INTERNAL_JWT_ISSUER, audience: DEVICE_TOKEN_AUDIENCE, typ: DEVICE_TOKEN_TYP },
    );
    expect(protectedHeader.kid).toBe(ring.current().kid);
    expect(payload).toMatchObject({ sub: 'user-1', email: 'alice@x.test' });
    expect(payload.exp! - payload.iat!).toBe(DEVICE_TOKEN_TTL_S);
    expect(payload.jti).toMatch(/^[\w-]{1,64}$/);
  });

  it('is no internal JWT: no service accepts it as one', async () => {
    const ring = await KeyRing.load([await storedSigningKey()]);
    const token = await mintDeviceToken(ring.current(), { id: 'user-1', email: 'a@x.test' });
    expect(decodeProtectedHeader(token).typ).not.toBe('at+jwt');
    const keys = createLocalJWKSet({ keys: ring.jwks() });
    await expect(verifyInternalJwt(token, keys, DEVICE_TOKEN_AUDIENCE)).rejects.toThrow();
  });
});
