import type { Kysely } from '@citadel/database';
import { isRole } from '@citadel/auth';
import type { AuthDatabase } from './auth.migrations.js';
import type { User } from './user.js';

/** Users in the auth service's own schema. Emails are stored lower-cased and unique. */
export class UserRepository {
  constructor(private readonly db: Kysely<AuthDatabase>) {}

  /**
   * The same repository on `trx` (AuditLog.transaction's): its writes commit or roll back with
   * that transaction, and so with the audit records made in it.
   */
  within(trx: Kysely<AuthDatabase>): UserRepository {
    return new UserRepository(trx);
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', email.toLowerCase())
      .executeTakeFirst();
    return row && toUser(row);
  }

  async findById(id: string): Promise<User | undefined> {
    if (!UUID.test(id)) return undefined;
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async list(): Promise<User[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('email').execute()).map(toUser);
  }

  /** Adds a user; an existing email is left as it is (seeding is idempotent). */
  async add(user: User): Promise<void> {
    await this.db
      .insertInto('users')
      .values({
        id: user.id,
        email: user.email.toLowerCase(),
        role: user.role,
        password_hash: user.passwordHash,
      })
      .onConflict((conflict) => conflict.column('email').doNothing())
      .execute();
  }

  /** Deletes a user and, by cascade, every token they hold. */
  async delete(id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const result = await this.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toUser(row: { id: string; email: string; role: string; password_hash: string }): User {
  if (!isRole(row.role)) throw new Error(`user ${row.id} has an unknown role`);
  return { id: row.id, email: row.email, role: row.role, passwordHash: row.password_hash };
}
