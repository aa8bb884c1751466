// Test fixture: a signing key shaped as the Vault secret holds it.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { StoredSigningKey } from './key-ring.js';

export async function storedSigningKey(): Promise<StoredSigningKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return {
    kid: randomUUID(),
    private_jwk: await exportJWK(privateKey),
    created_at: new Date().toISOString(),
  };
}
