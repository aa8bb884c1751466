import { createHash, timingSafeEqual } from 'node:crypto';

const keyHash = (key: Buffer): Buffer => createHash('sha256').update(key).digest();

/**
 * The dev server's seal, with one key share (as Citadel's containers initialise the real
 * Vault: `secret_shares: 1`). A sealed Vault refuses every request but the few that report
 * or lift the seal, with 503 "Vault is sealed": the stand-in must refuse what Vault refuses,
 * so a client's "Vault is sealed" path (the unseal loop, a service waiting at start) is
 * tested here before it meets the real one. An uninitialised Vault is sealed too, with no
 * key at all until `sys/init` makes one.
 *
 * The seal keeps only the SHA-256 of its key, so a state file that records it hands out no
 * unseal key. This is still no encryption barrier: the state file is plain JSON (see the
 * start-up warning). It reproduces Vault's answers, not its protection.
 */
export class DevSeal {
  private constructor(
    private hash: Buffer | undefined,
    public sealed: boolean,
  ) {}

  /** A Vault initialised before start, unsealed by `key` (at least 16 bytes, as Vault's). */
  static withKey(key: Buffer, sealed: boolean): DevSeal {
    if (key.length < 16) throw new Error('the unseal key must be at least 16 bytes');
    return new DevSeal(keyHash(key), sealed);
  }

  /** A Vault `sys/init` initialised in an earlier run: sealed, as Vault is after every start. */
  static fromKeyHash(hashHex: string): DevSeal {
    return new DevSeal(Buffer.from(hashHex, 'hex'), true);
  }

  /** A Vault waiting for `sys/init`: sealed, with no key that could unseal it. */
  static uninitialized(): DevSeal {
    return new DevSeal(undefined, true);
  }

  get initialized(): boolean {
    return this.hash !== undefined;
  }

  /** `sys/init`: the key becomes the only one that unseals; the Vault stays sealed. */
  initialize(key: Buffer): string {
    this.hash = keyHash(key);
    this.sealed = true;
    return this.hash.toString('hex');
  }

  /** Compares in constant time, as an unseal key is a secret. True when it matches. */
  unseal(candidate: Buffer): boolean {
    const matches = this.hash !== undefined && timingSafeEqual(keyHash(candidate), this.hash);
    if (matches) this.sealed = false;
    return matches;
  }

  seal(): void {
    this.sealed = true;
  }
}

/**
 * What a sealed or uninitialised Vault still answers: its raw, unauthenticated init, seal
 * and health handlers, which sit outside the audited request path.
 */
export const SEALED_PATHS = new Set(['sys/init', 'sys/seal-status', 'sys/unseal', 'sys/health']);
