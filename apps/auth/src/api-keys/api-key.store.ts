import type { Kysely } from '@citadel/database';
import type { AuthDatabase } from '../users/auth.migrations.js';

export interface StoredApiKey {
  id: string;
  userId: string;
  name: string;
  scopes: string[];
  prefix: string;
  createdAt: Date;
  expiresAt: Date;
}

/** API keys by owner and by the SHA-256 of the secret; the secret itself is never stored. */
export class ApiKeyStore {
  constructor(private readonly db: Kysely<AuthDatabase>) {}

  /**
   * The same store on `trx` (AuditLog.transaction's): its writes commit or roll back with
   * that transaction, and so with the audit records made in it.
   */
  within(trx: Kysely<AuthDatabase>): ApiKeyStore {
    return new ApiKeyStore(trx);
  }

  async save(key: StoredApiKey & { hash: string }): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: key.id,
        user_id: key.userId,
        name: key.name,
        scopes: key.scopes.join(' '),
        hash: key.hash,
        prefix: key.prefix,
        created_at: key.createdAt,
        expires_at: key.expiresAt,
      })
      .execute();
  }

  /** A live key, or nothing: an expired one is deleted on sight. */
  async findByHash(hash: string): Promise<StoredApiKey | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('hash', '=', hash)
      .executeTakeFirst();
    if (!row) return undefined;
    const key = toKey(row);
    if (key.expiresAt.getTime() <= Date.now()) {
      await this.db.deleteFrom('api_keys').where('id', '=', key.id).execute();
      return undefined;
    }
    return key;
  }

  async listFor(userId: string): Promise<StoredApiKey[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toKey);
  }

  /** Deletes the owner's key; false when the owner has no such key. */
  async revoke(userId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('api_keys')
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toKey(row: AuthDatabase['api_keys']): StoredApiKey {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    // No scopes on the row (an old row, a direct write) is an empty list: a key that grants
    // nothing (see `can` in @citadel/auth), never one that is "not scoped".
    scopes: row.scopes.split(' ').filter(Boolean),
    prefix: row.prefix,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
  };
}
