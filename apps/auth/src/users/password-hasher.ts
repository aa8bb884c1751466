import argon2, { type HashOptions } from 'argon2';

/**
 * argon2id with the OWASP baseline (m=19 MiB, t=2, p=1). Verification of an unknown
 * user still hashes against a dummy so both failures take the same time and an
 * attacker cannot enumerate accounts by timing.
 */
export class PasswordHasher {
  private static readonly OPTIONS: HashOptions & { raw?: false } = {
    type: argon2.argon2id,
    memoryCost: 19_456,
    timeCost: 2,
    parallelism: 1,
  };
  private dummyHash: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return argon2.hash(password, PasswordHasher.OPTIONS);
  }

  async verify(hash: string | undefined, password: string): Promise<boolean> {
    this.dummyHash ??= this.hash('citadel-dummy-password-for-timing');
    const target = hash ?? (await this.dummyHash);
    const ok = await argon2.verify(target, password).catch(() => false);
    return ok && hash !== undefined;
  }
}
