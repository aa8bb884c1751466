import type { Kysely } from '@citadel/database';
import type { AuthDatabase } from '../users/auth.migrations.js';

export interface StoredToken {
  hash: string;
  userId: string;
  expiresAt: number;
}

/** Opaque access tokens, keyed by their SHA-256 hash: the token itself is never stored. */
export class TokenStore {
  constructor(private readonly db: Kysely<AuthDatabase>) {}

  /**
   * The same store on `trx` (AuditLog.transaction's): its writes commit or roll back with
   * that transaction, and so with the audit records made in it.
   */
  within(trx: Kysely<AuthDatabase>): TokenStore {
    return new TokenStore(trx);
  }

  async save(token: StoredToken): Promise<void> {
    await this.db
      .insertInto('access_tokens')
      .values({ hash: token.hash, user_id: token.userId, expires_at: new Date(token.expiresAt) })
      .execute();
  }

  /** A live token, or nothing: an expired one is deleted on sight. */
  async find(hash: string): Promise<StoredToken | undefined> {
    const row = await this.db
      .selectFrom('access_tokens')
      .selectAll()
      .where('hash', '=', hash)
      .executeTakeFirst();
    if (!row) return undefined;
    const expiresAt = new Date(row.expires_at).getTime();
    if (expiresAt <= Date.now()) {
      await this.revoke(hash);
      return undefined;
    }
    return { hash: row.hash, userId: row.user_id, expiresAt };
  }

  /** Deletes the token; what it was (expired or not), or nothing when there was none. */
  async revoke(hash: string): Promise<StoredToken | undefined> {
    const row = await this.db
      .deleteFrom('access_tokens')
      .where('hash', '=', hash)
      .returningAll()
      .executeTakeFirst();
    return (
      row && { hash: row.hash, userId: row.user_id, expiresAt: new Date(row.expires_at).getTime() }
    );
  }

  async revokeAllFor(userId: string): Promise<number> {
    const result = await this.db
      .deleteFrom('access_tokens')
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
