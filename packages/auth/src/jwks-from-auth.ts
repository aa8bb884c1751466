import type { JWK } from 'jose';
import type { ServiceClient } from '@citadel/transport';
import { InternalJwtVerifier } from './internal-jwt-verifier.js';
import { JwksCache } from './jwks-cache.js';

/**
 * A verifier for JWTs addressed to `audience`, whose keys come from the auth service's
 * GetJwks over mTLS (the only auth method other services may call).
 */
export function verifierFromAuth(
  audience: string,
  auth: Pick<ServiceClient<'auth'>, 'rpc'>,
  onRefreshError?: (error: unknown) => void,
): InternalJwtVerifier {
  const jwks = new JwksCache(async () => (await auth.rpc.getJwks({})).keys as JWK[], {
    onRefreshError,
  });
  // Warm the cache in the background; the first request refreshes again if this failed.
  jwks.refresh().catch(() => {});
  return new InternalJwtVerifier(audience, jwks);
}
