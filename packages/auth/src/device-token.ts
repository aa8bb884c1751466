import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import {
  INTERNAL_JWT_ALG,
  INTERNAL_JWT_ISSUER,
  type KeyResolver,
  type SigningKey,
} from './internal-jwt.js';

/**
 * Device tokens (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): proof that
 * this client logged in to this account before, so the gateway can keep the account's
 * lockout for clients it does not know. Auth mints it in its `Login` answer; the gateway
 * sets it as an HttpOnly cookie (apps/gateway/src/auth/device-token.ts) and verifies it
 * against auth's JWKS with {@link verifyDeviceToken}.
 *
 * Why auth's key ring and not an HMAC key of the gateway's: no new secret, no new Vault
 * path or policy, and every gateway replica already trusts these keys. A signing key's
 * rotation retires it about a minute later, and the device tokens it signed then stop
 * verifying: those clients count as unknown until their next good login, which issues a
 * new token. Rotations are rare and the fallback is the untrusted path, not a lockout.
 *
 * The explicit `typ` and the audience keep the two kinds of token apart (RFC 8725 §3.11):
 * a device token is no internal JWT (`at+jwt`, aud = a service) and the reverse.
 */
export const DEVICE_TOKEN_TYP = 'citadel-device+jwt';
export const DEVICE_TOKEN_AUDIENCE = 'citadel:login-device';
/** 90 days: long enough that a user's own device stays known between visits. */
export const DEVICE_TOKEN_TTL_S = 90 * 24 * 3600;

/** A fresh device token for `user`, bound to the account by its e-mail as logins name it. */
export function mintDeviceToken(key: SigningKey, user: { id: string; email: string }) {
  const now = Math.floor(Date.now() / 1000);
  return (
    new SignJWT({ email: user.email.trim().toLowerCase() })
      .setProtectedHeader({ alg: INTERNAL_JWT_ALG, kid: key.kid, typ: DEVICE_TOKEN_TYP })
      .setIssuer(INTERNAL_JWT_ISSUER)
      .setSubject(user.id)
      .setAudience(DEVICE_TOKEN_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + DEVICE_TOKEN_TTL_S)
      // The device's own failure budget is counted under this id.
      .setJti(randomUUID())
      .sign(key.privateKey)
  );
}

/**
 * The device's id when `token` is a device token auth signed for `account` (the e-mail,
 * trimmed and lower-cased), still valid; `undefined` for anything else: an absent,
 * forged, expired or foreign token only makes the client one the gateway does not know.
 */
export async function verifyDeviceToken(
  token: string,
  resolveKey: KeyResolver,
  account: string,
): Promise<string | undefined> {
  try {
    const { payload } = await jwtVerify(token, resolveKey, {
      algorithms: [INTERNAL_JWT_ALG],
      issuer: INTERNAL_JWT_ISSUER,
      audience: DEVICE_TOKEN_AUDIENCE,
      typ: DEVICE_TOKEN_TYP,
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    });
    const bound = payload.email === account;
    return bound && /^[\w-]{1,64}$/.test(payload.jti!) ? payload.jti : undefined;
  } catch {
    return undefined;
  }
}
