export {
  openServiceDatabase,
  isUniqueViolation,
  sql,
  type DatabaseConfig,
  type ServiceDatabase,
} from './database.js';
export { PGlitePool } from './pglite-pool.js';
export {
  isInvalidPassword,
  RotatingPasswordPool,
  type RotatingPassword,
} from './rotating-password.js';
export type { Kysely, Generated, Selectable, Insertable, Transaction } from 'kysely';
export type { Migration } from 'kysely/migration';
export { prepareEmbeddedDataDirs } from './embedded-template.js';
