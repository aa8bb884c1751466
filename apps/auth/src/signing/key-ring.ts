import { importJWK, type CryptoKey, type JWK } from 'jose';
import { INTERNAL_JWT_ALG, MAX_INTERNAL_JWT_TTL_S, type SigningKey } from '@citadel/auth';

/** A signing key as the Vault secret holds it (see @citadel/vault-bootstrap). */
export interface StoredSigningKey {
  kid: string;
  private_jwk: JWK;
  created_at: string;
}

interface RingKey extends SigningKey {
  publicJwk: JWK;
  /** When this key starts signing (ms since epoch). */
  signsFrom: number;
}

export interface KeyRingOptions {
  /** How long a new key is published in the JWKS before it signs. */
  publishLeadMs?: number;
  /** How long a key stays published after a newer one took over: its tokens' lifetime. */
  retainMs?: number;
  now?: () => number;
}

/**
 * The auth service's JWT signing keys, loaded from Vault. The private keys never leave
 * this process; the public halves are served as the JWKS.
 *
 * Rotation: a key that arrives from Vault is published at once but signs only after
 * `publishLeadMs`, so verifiers can learn it first; the key it replaces stays published
 * until every token it signed has expired (`retainMs`).
 */
export class KeyRing {
  private keys: RingKey[] = [];
  private readonly publishLeadMs: number;
  private readonly retainMs: number;
  private readonly now: () => number;

  constructor(options: KeyRingOptions = {}) {
    this.publishLeadMs = options.publishLeadMs ?? 5_000;
    // A token lives at most MAX_INTERNAL_JWT_TTL_S; verifiers allow 5 s of clock skew.
    this.retainMs = options.retainMs ?? (MAX_INTERNAL_JWT_TTL_S + 5) * 1000;
    this.now = options.now ?? Date.now;
  }

  /** At start: the newest stored key signs at once, older ones are published for their tokens. */
  static async load(stored: StoredSigningKey[], options: KeyRingOptions = {}): Promise<KeyRing> {
    if (stored.length === 0) throw new Error('the signing-keys secret holds no key');
    const ring = new KeyRing(options);
    const now = ring.now();
    ring.keys = await Promise.all(
      stored.map((key, index) => toRingKey(key, index === 0 ? now : -Infinity)),
    );
    return ring;
  }

  /**
   * A new version of the secret arrived: keys not seen before are published now and sign
   * after the lead time. Returns the kids adopted.
   */
  async adopt(stored: StoredSigningKey[]): Promise<string[]> {
    const known = new Set(this.keys.map((key) => key.kid));
    const fresh = stored.filter((key) => !known.has(key.kid));
    if (fresh.length === 0) return [];
    const signsFrom = this.now() + this.publishLeadMs;
    const added = await Promise.all(fresh.slice(0, 1).map((key) => toRingKey(key, signsFrom)));
    this.keys = [...added, ...this.keys];
    return added.map((key) => key.kid);
  }

  /** The newest key whose time to sign has come. */
  current(): SigningKey {
    const now = this.now();
    const key = this.keys.find((candidate) => candidate.signsFrom <= now);
    if (!key) throw new Error('no signing key');
    return key;
  }

  /** Every key a valid token may carry: upcoming, current, and recently retired. */
  jwks(): JWK[] {
    this.prune();
    return this.keys.map((key) => key.publicJwk);
  }

  private prune(): void {
    const now = this.now();
    // A key is retired when a newer key started signing; drop it once its tokens expired.
    this.keys = this.keys.filter((key, index) => {
      const successor = this.keys
        .slice(0, index)
        .filter((newer) => newer.signsFrom <= now)
        .at(-1);
      return !successor || now - successor.signsFrom < this.retainMs;
    });
  }
}

async function toRingKey(stored: StoredSigningKey, signsFrom: number): Promise<RingKey> {
  // The public half is the JWK without its private scalar `d`.
  const { kty, crv, x, y } = stored.private_jwk;
  const privateKey = (await importJWK(
    { ...stored.private_jwk, alg: INTERNAL_JWT_ALG },
    INTERNAL_JWT_ALG,
  )) as CryptoKey;
  return {
    kid: stored.kid,
    privateKey,
    signsFrom,
    publicJwk: { kty, crv, x, y, kid: stored.kid, alg: INTERNAL_JWT_ALG, use: 'sig' },
  };
}
