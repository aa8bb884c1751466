import crypto from 'node:crypto';

/**
 * What the gateway keys a credential by (the exchange cache, the rate-limit counters):
 * its SHA-256, so neither a heap dump nor Redis holds a usable token. Computed several
 * times per request, so the one-shot `crypto.hash` (Node ≥ 20.12, no Hash object per call)
 * is used where it exists; the digest is the same.
 */
export const credentialKey: (credential: string) => string =
  typeof crypto.hash === 'function'
    ? (credential) => crypto.hash('sha256', credential, 'base64url')
    : (credential) => crypto.createHash('sha256').update(credential).digest('base64url');
