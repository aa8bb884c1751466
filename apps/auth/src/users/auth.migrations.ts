import {
  AUDIT_APPEND_ONLY_MIGRATION,
  AUDIT_LOG_MIGRATION,
  type AuditDatabase,
} from '@citadel/audit';
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
  '002-api-keys': {
    async up(db) {
      // Machine credentials: like access tokens, only the SHA-256 of the key is stored.
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'uuid', (column) => column.primaryKey())
        .addColumn('user_id', 'uuid', (column) =>
          column.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('scopes', 'text', (column) => column.notNull())
        .addColumn('hash', 'char(64)', (column) => column.notNull().unique())
        .addColumn('prefix', 'text', (column) => column.notNull())
        .addColumn('created_at', 'timestamptz', (column) => column.notNull().defaultTo(sql`now()`))
        .addColumn('expires_at', 'timestamptz', (column) => column.notNull())
        .execute();
      await db.schema.createIndex('api_keys_user_id').on('api_keys').column('user_id').execute();
    },
  },
  '003-audit-log': AUDIT_LOG_MIGRATION,
  // Databases made before the audit log was append-only get its triggers (a no-op on new ones).
  '004-audit-append-only': AUDIT_APPEND_ONLY_MIGRATION,
};

export interface AuthDatabase extends AuditDatabase {
  users: {
    id: string;
    email: string;
    role: string;
    password_hash: string;
    created_at: Generated<Date | string>;
  };
  access_tokens: { hash: string; user_id: string; expires_at: Date | string };
  api_keys: {
    id: string;
    user_id: string;
    name: string;
    /** Space-separated permissions. */
    scopes: string;
    hash: string;
    prefix: string;
    created_at: Date | string;
    expires_at: Date | string;
  };
}
