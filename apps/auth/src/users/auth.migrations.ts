import { sql, type Generated, type Migration } from '@citadel/database';

/** The auth service's schema: users and their opaque tokens (stored only as SHA-256 hashes). */
export const AUTH_MIGRATIONS: Record<string, Migration> = {
  '001-users-and-tokens': {
    async up(db) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'uuid', (column) => column.primaryKey())
        .addColumn('email', 'text', (column) => column.notNull().unique())
        .addColumn('role', 'text', (column) =>
          column.notNull().check(sql`role in ('customer', 'support_agent', 'admin')`),
        )
        .addColumn('password_hash', 'text', (column) => column.notNull())
        .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('access_tokens')
        .addColumn('hash', 'char(64)', (column) => column.primaryKey())
        .addColumn('user_id', 'uuid', (column) =>
          column.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('expires_at', 'timestamptz', (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex('access_tokens_user_id')
        .on('access_tokens')
        .column('user_id')
        .execute();
    },
  },
};

export interface AuthDatabase {
  users: {
    id: string;
    email: string;
    role: string;
    password_hash: string;
    created_at: Generated<Date | string>;
  };
  access_tokens: { hash: string; user_id: string; expires_at: Date | string };
}
