import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { INTERNAL_JWT_ALG, INTERNAL_JWT_ISSUER, mintInternalJwt } from '@citadel/auth';
import { DEVICE_COOKIE, DeviceTokens, deviceCookie, deviceTokenOf } from './device-token.js';

describe('device tokens', () => {
  let key: { kid: string; privateKey: CryptoKey };
  let devices: DeviceTokens;

  beforeAll(async () => {
    const pair = await generateKeyPair(INTERNAL_JWT_ALG, { extractable: true });
    key = { kid: 'k1', privateKey: pair.privateKey };
    devices = new DeviceTokens(async (header) => {
      if (header.kid !== 'k1') throw new Error('unknown kid');
      return pair.publicKey;
    });
  });

  /** As auth issues them (apps/auth/src/tokens/device-token.ts). */
  const deviceToken = (
    overrides: { typ?: string; aud?: string; email?: string; exp?: number } = {},
  ) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ email: overrides.email ?? 'alice@x.test' })
      .setProtectedHeader({
        alg: INTERNAL_JWT_ALG,
        kid: key.kid,
        typ: overrides.typ ?? 'citadel-device+jwt',
      })
      .setIssuer(INTERNAL_JWT_ISSUER)
      .setSubject('user-1')
      .setAudience(overrides.aud ?? 'citadel:login-device')
      .setIssuedAt(now)
      .setExpirationTime(overrides.exp ?? now + 3600)
      .setJti('device-1')
      .sign(key.privateKey);
  };

  it('names the device for the account it is bound to, and nothing for another', async () => {
    const token = await deviceToken();
    expect(await devices.deviceOf(token, 'alice@x.test')).toBe('device-1');
    expect(await devices.deviceOf(token, 'bob@x.test')).toBeUndefined();
  });

  it('trusts no expired, retyped, misaddressed, tampered or internal token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const internal = await mintInternalJwt(
      key,
      { id: 'user-1', role: 'customer', email: 'alice@x.test' },
      ['citadel:login-device'],
      60,
    );
    const token = await deviceToken();
    for (const candidate of [
      await deviceToken({ exp: now - 60 }),
      await deviceToken({ typ: 'at+jwt' }),
      await deviceToken({ aud: 'order' }),
      `${token.slice(0, -4)}AAAA`,
      internal.jwt,
      'not-a-jwt',
      undefined,
    ]) {
      expect(await devices.deviceOf(candidate, 'alice@x.test')).toBeUndefined();
    }
  });

  it('reads its cookie among others, and sets it HttpOnly, Secure, SameSite=Strict on /v1/auth', async () => {
    const token = await deviceToken();
    expect(deviceTokenOf(`a=1; ${DEVICE_COOKIE}=${token}; b=2`)).toBe(token);
    expect(deviceTokenOf('a=1')).toBeUndefined();
    expect(deviceTokenOf(undefined)).toBeUndefined();
    const cookie = deviceCookie(token);
    expect(cookie).toMatch(new RegExp(`^${DEVICE_COOKIE}=${token}; Max-Age=(3599|3600); `));
    expect(cookie.split('; ')).toEqual(
      expect.arrayContaining(['Path=/v1/auth', 'HttpOnly', 'Secure', 'SameSite=Strict']),
    );
  });
});
