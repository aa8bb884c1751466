import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The dev server's seal, with one key share (as Citadel's containers initialise the real
 * Vault: `secret_shares: 1`). A sealed Vault refuses every request but the few that report
 * or lift the seal, with 503 "Vault is sealed": the stand-in must refuse what Vault refuses,
 * so a client's "Vault is sealed" path (the unseal loop, a service waiting at start) is
 * tested here before it meets the real one.
 *
 * This is no encryption barrier: the state file is still plain JSON (see the start-up
 * warning). It reproduces Vault's answers, not its protection.
 */
export class DevSeal {
  private readonly key: Buffer;

  constructor(
    /** Base64 unseal key; a random 32-byte one when absent. */
    key: string | undefined,
    public sealed: boolean,
  ) {
    this.key = key === undefined ? randomBytes(32) : Buffer.from(key, 'base64');
    if (this.key.length < 16) throw new Error('the unseal key must be at least 16 bytes');
  }

  /** The key as `sys/init` hands it out (`keys_base64`). */
  get keyBase64(): string {
    return this.key.toString('base64');
  }

  /** Compares in constant time, as an unseal key is a secret. True when it matches. */
  unseal(candidate: Buffer): boolean {
    const matches = candidate.length === this.key.length && timingSafeEqual(candidate, this.key);
    if (matches) this.sealed = false;
    return matches;
  }

  seal(): void {
    this.sealed = true;
  }
}

/** What a sealed Vault still answers (Vault's unauthenticated seal and health endpoints). */
export const SEALED_PATHS = new Set(['sys/seal-status', 'sys/unseal', 'sys/health']);
