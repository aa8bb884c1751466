/**
 * The one place the gateway reads a credential from a request: the rate limiter, the bearer
 * strategy and, through the strategy, the token exchange all see the same credential, so
 * no spelling of it is charged one way and authenticated another.
 *
 * - `Authorization` only (RFC 6750 §2.1). A token in the query string ends up in access
 *   logs, proxies and browser history, and one in a form body is open to CSRF; RFC 6750
 *   §2.2/§2.3 make both optional, and Citadel takes neither.
 * - The auth-scheme is case-insensitive (RFC 7235 §2.1): `Bearer`, `bearer`, `BEARER`.
 * - One token after one or more spaces (`credentials = auth-scheme 1*SP token68`), nothing
 *   after it.
 * - Citadel's own shapes only: an access token (`cit_at_`) or an API key (`cit_ak_`), each
 *   256 random bits in base64url. Anything else (a JWT, garbage) is no credential at all,
 *   so it never reaches auth and never gets a key of its own.
 */
const SCHEME = /^bearer +/i;
/** An access token (`cit_at_`) or an API key (`cit_ak_`): 256 random bits each. */
const CITADEL_CREDENTIAL = /^cit_(?:at|ak)_[A-Za-z0-9_-]{43}$/;
/** `Bearer ` and a credential, with room for a few more spaces. */
const MAX_HEADER_LENGTH = 96;

/** The Citadel credential an `Authorization` header presents, or `undefined`. */
export function bearerCredential(authorization: string | undefined): string | undefined {
  // A header of kilobytes of spaces is not scanned.
  if (authorization === undefined || authorization.length > MAX_HEADER_LENGTH) return undefined;
  const scheme = SCHEME.exec(authorization);
  if (!scheme) return undefined;
  const credential = authorization.slice(scheme[0].length);
  return CITADEL_CREDENTIAL.test(credential) ? credential : undefined;
}
