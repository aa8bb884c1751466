import crypto from 'node:crypto';

declare const credentialKeyBrand: unique symbol;
/** A credential's SHA-256 (base64url), as `credentialKey` computes it. */
export type CredentialKey = string & { readonly [credentialKeyBrand]: true };

/**
 * What the gateway keys a credential by (the exchange cache, the rate-limit counters):
 * its SHA-256, so neither a heap dump nor Redis holds a usable token. Computed once per
 * request, by the rate limiter, which leaves it on the request for the bearer strategy
 * (which hands it on in the `Principal`). The one-shot `crypto.hash` (Node ≥ 20.12, no
 * Hash object per call) is used where it exists; the digest is the same.
 */
export const credentialKey: (credential: string) => CredentialKey =
  typeof crypto.hash === 'function'
    ? (credential) => crypto.hash('sha256', credential, 'base64url') as CredentialKey
    : (credential) =>
        crypto.createHash('sha256').update(credential).digest('base64url') as CredentialKey;

/** A Citadel credential as the edge read it from `Authorization`, and its key. */
export interface PresentedCredential {
  credential: string;
  key: CredentialKey;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the rate limiter (`limitRequests`) when the request presented a credential. */
    presentedCredential: PresentedCredential | null;
  }
}

/**
 * The key of a credential this request presented: the one the rate limiter computed when
 * it charged this very credential, else computed here.
 */
export function keyOfPresented(
  request: { presentedCredential?: PresentedCredential | null },
  credential: string,
): CredentialKey {
  const presented = request.presentedCredential;
  return presented?.credential === credential ? presented.key : credentialKey(credential);
}
