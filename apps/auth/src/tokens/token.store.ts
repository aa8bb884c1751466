export interface StoredToken {
  hash: string;
  userId: string;
  expiresAt: number;
}

/** Storage port for opaque access tokens, keyed by their SHA-256 hash. */
export abstract class TokenStore {
  abstract save(token: StoredToken): Promise<void>;
  abstract find(hash: string): Promise<StoredToken | undefined>;
  abstract revoke(hash: string): Promise<void>;
  abstract revokeAllFor(userId: string): Promise<number>;
}

export class InMemoryTokenStore extends TokenStore {
  private readonly tokens = new Map<string, StoredToken>();

  async save(token: StoredToken) {
    this.tokens.set(token.hash, token);
  }
  async find(hash: string) {
    const token = this.tokens.get(hash);
    if (token && token.expiresAt <= Date.now()) {
      this.tokens.delete(hash);
      return undefined;
    }
    return token;
  }
  async revoke(hash: string) {
    this.tokens.delete(hash);
  }
  async revokeAllFor(userId: string) {
    let revoked = 0;
    for (const [hash, token] of this.tokens) {
      if (token.userId === userId) {
        this.tokens.delete(hash);
        revoked++;
      }
    }
    return revoked;
  }
}
