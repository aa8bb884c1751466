import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { INTERNAL_JWT_ALG, type SigningKey } from '@citadel/auth';

interface RingKey extends SigningKey {
  publicJwk: JWK;
}

/**
 * The auth service's JWT signing keys. The private key never leaves this process; the
 * public halves are served as the JWKS. Rotation (`rotate`) publishes the next key
 * before it signs and keeps the previous one until its tokens have expired.
 */
export class KeyRing {
  private keys: RingKey[] = [];

  static async create(): Promise<KeyRing> {
    const ring = new KeyRing();
    await ring.rotate();
    return ring;
  }

  current(): SigningKey {
    const key = this.keys[0];
    if (!key) throw new Error('no signing key');
    return key;
  }

  jwks(): JWK[] {
    return this.keys.map((key) => key.publicJwk);
  }

  async rotate(): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair(INTERNAL_JWT_ALG, {
      extractable: true,
    });
    const kid = randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: INTERNAL_JWT_ALG, use: 'sig' };
    // Keep one previous key: internal JWTs live at most 60 s, rotations are far apart.
    this.keys = [{ kid, privateKey, publicJwk }, ...this.keys.slice(0, 1)];
  }
}
