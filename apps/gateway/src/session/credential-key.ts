import crypto from 'node:crypto';

declare const credentialKeyBrand: unique symbol;
/** A credential's SHA-256 (base64url), as `credentialKey` computes it. */
export type CredentialKey = string & { readonly [credentialKeyBrand]: true };

/**
 * What the gateway keys a credential by (the exchange cache, the rate-limit counters):
 * its SHA-256, so neither a heap dump nor Redis holds a usable token. Computed twice per
 * request (by the rate limiter, and by the bearer strategy, which hands it on in the
 * `Principal`), so the one-shot `crypto.hash` (Node ≥ 20.12, no Hash object per
 * call) is used where it exists; the digest is the same.
 */
export const credentialKey: (credential: string) => CredentialKey =
  typeof crypto.hash === 'function'
    ? (credential) => crypto.hash('sha256', credential, 'base64url') as CredentialKey
    : (credential) =>
        crypto.createHash('sha256').update(credential).digest('base64url') as CredentialKey;
