import { randomUUID } from 'node:crypto';
import {
  errors,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWTHeaderParameters,
  type FlattenedJWSInput,
} from 'jose';
import { isRole, type Role } from './rbac.js';

/**
 * Internal JWTs are ES256 (asymmetric: a service that can verify cannot forge) and the
 * algorithm is pinned on verification, which is what defeats `alg: none` and the
 * HS256-with-the-public-key confusion attack (RFC 8725 §3.1).
 */
export const INTERNAL_JWT_ALG = 'ES256';
export const INTERNAL_JWT_ISSUER = 'https://auth.citadel.local';
/** Upper bound on an internal JWT's life; the exchange is cheap, so keep them short. */
export const MAX_INTERNAL_JWT_TTL_S = 60;
const CLOCK_TOLERANCE_S = 5;

export interface InternalClaims {
  sub: string;
  role: Role;
  email?: string;
  /**
   * Present when the credential is scoped (an API key): the permissions it is limited to.
   * Present and empty grants nothing (see `can`); absent is a user session.
   */
  scopes?: string[];
  aud: string[];
  exp: number;
  jti: string;
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export async function mintInternalJwt(
  key: SigningKey,
  subject: { id: string; role: Role; email?: string; scopes?: readonly string[] },
  audience: string[],
  ttlSeconds: number,
): Promise<{ jwt: string; expiresAt: number }> {
  const ttl = Math.min(ttlSeconds, MAX_INTERNAL_JWT_TTL_S);
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({
    role: subject.role,
    ...(subject.email ? { email: subject.email } : {}),
    // OAuth's `scope` claim (RFC 8693 §4.2): space-separated. Written for every scoped
    // credential, empty too: a key with no scopes must not read as an unscoped session.
    ...(subject.scopes ? { scope: subject.scopes.join(' ') } : {}),
  })
    .setProtectedHeader({ alg: INTERNAL_JWT_ALG, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(INTERNAL_JWT_ISSUER)
    .setSubject(subject.id)
    .setAudience(audience)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + ttl)
    .setJti(randomUUID())
    .sign(key.privateKey);
  return { jwt, expiresAt: now + ttl };
}

export type KeyResolver = (
  header: JWTHeaderParameters,
  token: FlattenedJWSInput,
) => Promise<CryptoKey>;

export class InvalidInternalJwt extends Error {
  override name = 'InvalidInternalJwt';
}

/**
 * Verifies an internal JWT for `audience`: signature by a key from the JWKS, pinned
 * algorithm, issuer, audience, expiry, not-before, bounded age, and a known role.
 * Throws {@link InvalidInternalJwt} with a reason fit for logs, never for callers.
 */
export async function verifyInternalJwt(
  token: string,
  resolveKey: KeyResolver,
  audience: string,
): Promise<InternalClaims> {
  try {
    const { payload } = await jwtVerify(token, resolveKey, {
      algorithms: [INTERNAL_JWT_ALG],
      issuer: INTERNAL_JWT_ISSUER,
      audience,
      typ: 'at+jwt',
      clockTolerance: CLOCK_TOLERANCE_S,
      maxTokenAge: MAX_INTERNAL_JWT_TTL_S + CLOCK_TOLERANCE_S,
      requiredClaims: ['sub', 'exp', 'iat', 'nbf', 'jti'],
    });
    if (!isRole(payload.role)) throw new InvalidInternalJwt('unknown role claim');
    if (payload.scope !== undefined && typeof payload.scope !== 'string')
      throw new InvalidInternalJwt('malformed scope claim');
    return {
      sub: payload.sub!,
      role: payload.role,
      email: typeof payload.email === 'string' ? payload.email : undefined,
      ...(typeof payload.scope === 'string'
        ? { scopes: payload.scope.split(' ').filter(Boolean) }
        : {}),
      aud: Array.isArray(payload.aud) ? payload.aud : [payload.aud!],
      exp: payload.exp!,
      jti: payload.jti!,
    };
  } catch (error) {
    if (error instanceof InvalidInternalJwt) throw error;
    if (error instanceof errors.JOSEError)
      throw new InvalidInternalJwt(`${error.code}: ${error.message}`);
    throw new InvalidInternalJwt(error instanceof Error ? error.message : 'unverifiable token');
  }
}
