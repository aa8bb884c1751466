export * from './rbac.js';
export {
  INTERNAL_JWT_ALG,
  INTERNAL_JWT_ISSUER,
  MAX_INTERNAL_JWT_TTL_S,
  InvalidInternalJwt,
  mintInternalJwt,
  verifyInternalJwt,
  type InternalClaims,
  type KeyResolver,
  type SigningKey,
} from './internal-jwt.js';
export { JwksCache, type JwksCacheOptions } from './jwks-cache.js';
export {
  DEVICE_TOKEN_AUDIENCE,
  DEVICE_TOKEN_TTL_S,
  DEVICE_TOKEN_TYP,
  mintDeviceToken,
  verifyDeviceToken,
} from './device-token.js';
export { VerifiedTokenCache } from './verified-token-cache.js';
export { InternalJwtVerifier } from './internal-jwt-verifier.js';
export {
  AllowServiceCaller,
  InternalJwtGuard,
  PublicMethod,
  RequirePermission,
} from './internal-jwt.guard.js';
export { verifierFromAuth } from './jwks-from-auth.js';
