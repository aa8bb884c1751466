import { decodeJwt, type JWK } from 'jose';
import { JwksCache, verifyDeviceToken, type KeyResolver } from '@citadel/auth';
import type { ServiceClient } from '@citadel/transport';

/**
 * The device cookie (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): a
 * client that logged in to an account before presents it, and the account's lockout does
 * not apply to it (see login-throttle.ts for the threat model).
 *
 * The token inside is signed by auth's key ring and issued in its `Login` answer
 * (packages/auth/src/device-token.ts says why there and not an HMAC key here): every
 * replica verifies it with the JWKS it fetches from auth, no secret of the gateway's own.
 * `__Secure-`: browsers accept the cookie only over HTTPS; HttpOnly keeps it from scripts;
 * SameSite=Strict and Path=/v1/auth send it on nothing but the login routes.
 */
export const DEVICE_COOKIE = '__Secure-citadel-device';
/** A cookie longer than any token auth issues is not worth a signature check. */
const MAX_TOKEN_LENGTH = 2_048;

export class DeviceTokens {
  constructor(private readonly resolveKey: KeyResolver) {}

  /**
   * The device's id when `token` is a device token auth signed for `account` (the e-mail,
   * trimmed and lower-cased), still valid; `undefined` for anything else: an absent,
   * forged, expired or foreign cookie only makes the client one the gateway does not know.
   */
  async deviceOf(token: string | undefined, account: string): Promise<string | undefined> {
    if (!token || token.length > MAX_TOKEN_LENGTH) return undefined;
    return verifyDeviceToken(token, this.resolveKey, account);
  }
}

/** Device tokens checked against the keys auth publishes (GetJwks over mTLS). */
export function deviceTokensFromAuth(
  auth: Pick<ServiceClient<'auth'>, 'rpc'>,
  onRefreshError?: (error: unknown) => void,
): DeviceTokens {
  const jwks = new JwksCache(async () => (await auth.rpc.getJwks({})).keys as JWK[], {
    onRefreshError,
  });
  return new DeviceTokens(jwks.resolveKey);
}

/** The device token in a request's `Cookie` header, if any. */
export function deviceTokenOf(cookieHeader: string | undefined): string | undefined {
  for (const pair of cookieHeader?.split(';') ?? []) {
    const [name, ...value] = pair.trim().split('=');
    if (name === DEVICE_COOKIE) return value.join('=');
  }
  return undefined;
}

/** `Set-Cookie` for a device token from auth, living as long as the token does. */
export function deviceCookie(token: string): string {
  const maxAge = Math.max(0, (decodeJwt(token).exp ?? 0) - Math.floor(Date.now() / 1000));
  return `${DEVICE_COOKIE}=${token}; Max-Age=${maxAge}; Path=/v1/auth; HttpOnly; Secure; SameSite=Strict`;
}
