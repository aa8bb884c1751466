import { sql, type Kysely, type Migration } from '@citadel/database';

/** The table every service's audit trail lives in, inside the service's own schema. */
export interface AuditDatabase {
  audit_log: AuditLogTable;
}

export interface AuditLogTable {
  seq: number | string;
  /** ISO 8601 UTC, stored as text so the hashed value and the stored one are the same bytes. */
  time: string;
  service: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  caller_service: string;
  trace_id: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

/**
 * Creates the audit table. A service adds this to its own migrations under its next
 * number (`'004-audit-log': AUDIT_LOG_MIGRATION`), so one schema and one set of
 * migrations serve the embedded default and PostgreSQL alike. `audit_log` comes out
 * append-only (see {@link appendOnlyTable}).
 *
 * Databases migrated before the monitor existed also hold an `alerts` table this
 * migration used to create for the in-service anomaly detector. The monitor raises alerts
 * now (apps/monitor), so nothing reads or writes that table any more; it stays as it was
 * (a migration never rewrites history) and an operator may drop it.
 */
export const AUDIT_LOG_MIGRATION: Migration = {
  async up(db: Kysely<unknown>) {
    // `seq` is assigned under a lock, without gaps, so a deleted record shows as a hole in
    // the chain; PostgreSQL itself refuses UPDATE, DELETE and TRUNCATE (below).
    await db.schema
      .createTable('audit_log')
      .addColumn('seq', 'bigint', (column) => column.primaryKey())
      .addColumn('time', 'text', (column) => column.notNull())
      .addColumn('service', 'text', (column) => column.notNull())
      .addColumn('actor', 'text', (column) => column.notNull())
      .addColumn('action', 'text', (column) => column.notNull())
      .addColumn('target', 'text', (column) => column.notNull())
      .addColumn('outcome', 'text', (column) => column.notNull())
      .addColumn('caller_service', 'text', (column) => column.notNull())
      .addColumn('trace_id', 'text', (column) => column.notNull())
      .addColumn('detail', 'text', (column) => column.notNull())
      .addColumn('prev_hash', 'text', (column) => column.notNull())
      .addColumn('hash', 'text', (column) => column.notNull())
      .execute();
    await db.schema
      .createIndex('audit_log_actor_action_time')
      .on('audit_log')
      .columns(['actor', 'action', 'time'])
      .execute();
    await db.schema.createIndex('audit_log_trace_id').on('audit_log').column('trace_id').execute();
    await guardTable(db, 'audit_log');
  },
};

/**
 * Makes an existing `audit_log` append-only: for services whose audit table predates the
 * guard, under their next migration number (`'005-audit-append-only': …`). Idempotent, so
 * it is a no-op after {@link AUDIT_LOG_MIGRATION} on a new database.
 */
export const AUDIT_APPEND_ONLY_MIGRATION: Migration = appendOnlyTable('audit_log');

/**
 * Makes `table`, a table of the service's own schema, append-only exactly as `audit_log`
 * is (see {@link guardTable}): for any table that holds evidence, e.g. the monitor's copy
 * of every service's records and the alerts its rules raise. Add it to the migrations
 * right after the one that creates the table (`'002-alerts-append-only':
 * appendOnlyTable('alerts')`). Idempotent. Once guarded, the table's shape is fixed for
 * the service's role too (the admin's guard refuses ALTER TABLE on it), so create it
 * complete first.
 */
export function appendOnlyTable(table: string): Migration {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) {
    throw new Error(
      `appendOnlyTable: "${table}" is not a plain table name of the service's schema`,
    );
  }
  return {
    async up(db: Kysely<unknown>) {
      await guardTable(db, table);
    },
  };
}

/** The schema the database admin installs the guard in (infra/vault/bootstrap, database-roles.ts). */
const GUARD_SCHEMA = 'citadel_guard';

/**
 * The audit records (and any table {@link appendOnlyTable} names) are append-only
 * for the service's own role too, enforced by PostgreSQL. Two triggers, in exactly the shape the admin's guard accepts (names,
 * timing, events, level): a row trigger before UPDATE or DELETE, which fires whichever
 * way a row is reached (a view, a writable CTE, MERGE), and a statement trigger before
 * TRUNCATE, which fires no row triggers. INSERT and SELECT carry none.
 *
 * On a PostgreSQL server the service's role owns this table and could drop or disable
 * its triggers, so the function they call, and the event triggers that refuse the role
 * any DDL that would drop, disable, rename or replace them, belong to the database admin:
 * the bootstrap installs them (schema `citadel_guard`) before any service starts; the
 * design and its reasons are written down in database-roles.ts. Without that guard a
 * role that is not a superuser stops here rather than run with an audit table it could
 * rewrite.
 *
 * Embedded (PGlite) there is no separate admin: everything runs as one superuser, so the
 * migration defines the same refusal in the service's schema. The application's own code
 * path is refused exactly as on a server; an attacker holding the data files at rest can
 * switch triggers off as any superuser can, and the hash chain is what catches that.
 */
async function guardTable(db: Kysely<unknown>, table: string): Promise<void> {
  const { rows } = await sql<{ guard: string | null; superuser: boolean; schema: string }>`
    select (select p.oid::regprocedure::text from pg_catalog.pg_proc p
              join pg_catalog.pg_namespace n on n.oid = p.pronamespace
             where n.nspname = ${GUARD_SCHEMA} and p.proname = 'refuse_audit_change') as guard,
           (select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user) as superuser,
           current_schema() as schema`.execute(db);
  const { guard, superuser, schema } = rows[0]!;
  let refuse = guard;
  if (!refuse) {
    if (!superuser) {
      throw new Error(
        `${table}: the audit guard (schema ${GUARD_SCHEMA}) is missing from this database, and ` +
          `without it the ${schema} service's own role could rewrite its audit records; run the Vault bootstrap ` +
          'with CITADEL_DB_ADMIN_URL (it installs the guard) before starting the service',
      );
    }
    refuse = `"${schema.replace(/"/g, '""')}".refuse_audit_change()`;
    await sql
      .raw(
        `create or replace function ${refuse} returns trigger
         language plpgsql set search_path = pg_catalog, pg_temp as $$
         begin
           raise exception '% on %.% refused: audit records are append-only',
             tg_op, tg_table_schema, tg_table_name using errcode = 'insufficient_privilege';
         end $$`,
      )
      .execute(db);
  }
  const present = await sql<{ tgname: string }>`
    select t.tgname from pg_catalog.pg_trigger t
     where t.tgrelid = ${table}::regclass and not t.tgisinternal`.execute(db);
  const has = (name: string) => present.rows.some((row) => row.tgname === name);
  if (!has('citadel_append_only')) {
    await sql
      .raw(
        `create trigger citadel_append_only before update or delete on ${table}
         for each row execute function ${refuse}`,
      )
      .execute(db);
  }
  if (!has('citadel_no_truncate')) {
    await sql
      .raw(
        `create trigger citadel_no_truncate before truncate on ${table}
         for each statement execute function ${refuse}`,
      )
      .execute(db);
  }
}
