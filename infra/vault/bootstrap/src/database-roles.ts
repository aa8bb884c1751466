import pg from 'pg';
import { DATA_SERVICES } from '@citadel/config';

/** The services that own data (from the service registry): one schema and one login role each. */
export { DATA_SERVICES };

/**
 * Where a data service's login role logs in, as the bootstrap stores it in Vault
 * (`citadel/<service>/database`). No password: Vault's database engine owns it (a static
 * role per service) and the service reads it from `database/static-creds/<service>`.
 */
export interface DatabaseLogin {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Whether the admin URL asked for TLS (`sslmode=require` or stricter): services do too. */
  ssl: boolean;
}

/**
 * Attack point 4, stopped by PostgreSQL itself: each data service gets a login role that
 * owns one schema (named after the service) and is granted nothing else. No role can read
 * another service's tables, and PUBLIC keeps no rights on the database or its public schema.
 *
 * The roles get no password here: Vault's database engine sets one when it takes each role
 * over as a static role, and rotates it from then on. A role that exists keeps the password
 * it has, so re-running the bootstrap changes no password.
 */
export async function provisionServiceRoles(
  adminUrl: string,
): Promise<Record<string, DatabaseLogin>> {
  const url = new URL(adminUrl);
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!database) throw new Error('the database admin URL names no database');
  const sslmode = url.searchParams.get('sslmode') ?? '';
  const ssl = ['require', 'verify-ca', 'verify-full'].includes(sslmode);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const result: Record<string, DatabaseLogin> = {};
  try {
    const db = admin.escapeIdentifier(database);
    await admin.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    await admin.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
    const roles: string[] = [];
    for (const service of DATA_SERVICES) {
      const user = roleName(database, service);
      const role = admin.escapeIdentifier(user);
      const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]))
        .rowCount;
      await admin.query(
        `${exists ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT`,
      );
      const schema = admin.escapeIdentifier(service);
      await admin.query(`GRANT CONNECT ON DATABASE ${db} TO ${role}`);
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${role}`);
      await admin.query(`ALTER SCHEMA ${schema} OWNER TO ${role}`);
      await admin.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
      await admin.query(`ALTER ROLE ${role} IN DATABASE ${db} SET search_path = ${schema}`);
      roles.push(role);
      result[service] = { host: url.hostname, port: Number(url.port || 5432), database, user, ssl };
    }
    await installAuditGuard(admin, roles);
  } finally {
    await admin.end();
  }
  return result;
}

/** `citadel_order` for database `citadel`: role names are cluster-wide, so they carry the database. */
export function roleName(database: string, service: string): string {
  return `${database}_${service}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

/** The schema the admin owns and installs the audit guard in (see {@link installAuditGuard}). */
export const AUDIT_GUARD_SCHEMA = 'citadel_guard';
/**
 * The guard's two triggers, as packages/audit's migration creates them on `audit_log` and
 * on any table `appendOnlyTable` names (same names, same shape): a row trigger before UPDATE or DELETE, a statement trigger
 * before TRUNCATE, both calling `citadel_guard.refuse_audit_change()`.
 */
const GUARD_TRIGGERS = {
  citadel_append_only: 'BEFORE UPDATE OR DELETE ON %s FOR EACH ROW',
  citadel_no_truncate: 'BEFORE TRUNCATE ON %s FOR EACH STATEMENT',
} as const;
/** pg_trigger.tgtype of each: ROW(1)|BEFORE(2)|DELETE(8)|UPDATE(16), and BEFORE(2)|TRUNCATE(32). */
const GUARD_TRIGGER_TYPES = { citadel_append_only: 27, citadel_no_truncate: 34 } as const;

/**
 * A service's audit tables are append-only even for the service's own login role,
 * and PostgreSQL enforces it, not the service's code.
 *
 * Why more than a trigger. The service role owns its schema and its tables (the migrations
 * run as that role), and an owner may DROP a table, DROP TRIGGER, ALTER TABLE … DISABLE
 * TRIGGER, or replace a trigger: a trigger alone stops an honest bug, not a stolen
 * password. So the database admin (this bootstrap, with the superuser URL, before any
 * service starts) installs, once per database, what the service role can neither change nor
 * switch off:
 * - a schema `citadel_guard` it owns; service roles get USAGE on it and EXECUTE on one
 *   function, `refuse_audit_change()`, which raises insufficient_privilege (42501). The
 *   service's own audit migration (packages/audit, audit.migrations.ts) creates two
 *   triggers on its `audit_log` with it: FOR EACH ROW before UPDATE or DELETE (a row
 *   trigger fires whichever way the row is reached: through a view, a parent table, a
 *   writable CTE, a MERGE) and FOR EACH STATEMENT before TRUNCATE (which fires no row
 *   triggers). INSERT and SELECT carry no trigger, so appends cost nothing more.
 * - two event triggers, which only a superuser can create, alter or drop, and which fire
 *   for the DDL of every role in the database (CREATE EVENT TRIGGER,
 *   pg_event_trigger_ddl_commands, pg_event_trigger_dropped_objects). For any role that is
 *   not a superuser they abort the transaction of:
 *   - `sql_drop`: any command that drops a guard trigger, whatever dropped it (DROP
 *     TRIGGER, DROP TABLE, DROP SCHEMA … CASCADE, DROP OWNED), since dropping a table
 *     drops its triggers with it;
 *   - `ddl_command_end`: any command on a guarded table (one carrying a guard trigger), on
 *     a trigger, rule or policy of one, or on a table that inherits from one or that one
 *     inherits from: ALTER TABLE (DISABLE TRIGGER, RENAME, SET SCHEMA, ADD COLUMN, ATTACH
 *     to a parent...), ALTER TRIGGER … RENAME, CREATE RULE, CREATE POLICY, CREATE TABLE …
 *     INHERITS. The one DDL allowed on a guarded table is creating a guard trigger in
 *     exactly its own shape (name, timing, events, level, no WHEN, no column list, enabled),
 *     which is how the migration installs the second one and never weakens the first.
 *   Guard triggers are found by their function and by their name, so a guard trigger
 *   "replaced" by one that calls something else still marks the table as guarded.
 * Superusers are let through on purpose: the admin changes audit tables through migrations
 * of its own, and a superuser can switch off any trigger anyway (session_replication_role);
 * the hash chain, and the monitor holding each chain's head, are what catch that attacker.
 * Other evidence tables (the monitor's copy of every chain, its breaks and its alerts) get
 * the same two triggers through `appendOnlyTable` (packages/audit).
 *
 * Why this rather than a schema the service does not own (`<service>_audit`, owned by the
 * admin, the service granted USAGE, SELECT and INSERT only): the tables stay where every
 * deployment already has them, with no data migration and no second schema per service,
 * and the embedded default (PGlite, everything one superuser) keeps one set of migrations.
 * The cost is a little PL/pgSQL that must stay in step with the migration's trigger shape,
 * which this file and the spec beside it pin down.
 *
 * Existing deployments: an `audit_log` created before the guard existed gets its triggers
 * here, as the admin, on every run (idempotent).
 */
async function installAuditGuard(admin: pg.Client, roles: string[]): Promise<void> {
  const guard = AUDIT_GUARD_SCHEMA;
  const names = Object.keys(GUARD_TRIGGERS)
    .map((name) => admin.escapeLiteral(name))
    .join(', ');
  // Read from the catalog, not cast from a name: a role without USAGE on the guard's schema
  // (any other role of the database) must still be able to run its own DDL.
  const guardFunction = `(SELECT p.oid FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = '${guard}' AND p.proname = 'refuse_audit_change')`;
  // Whether a relation (oid `rel`) is a guarded table, or inherits from or is inherited by one.
  const touchesGuarded = `
    WITH guarded AS (
      SELECT t.tgrelid AS relid FROM pg_catalog.pg_trigger t
       WHERE t.tgfoid = ${guardFunction} OR t.tgname IN (${names}))
    SELECT rel IN (SELECT relid FROM guarded)
        OR EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                    WHERE (i.inhrelid = rel AND i.inhparent IN (SELECT relid FROM guarded))
                       OR (i.inhparent = rel AND i.inhrelid IN (SELECT relid FROM guarded)))`;
  const exactShape = Object.entries(GUARD_TRIGGER_TYPES)
    .map(([name, type]) => `(t.tgname = '${name}' AND t.tgtype = ${type})`)
    .join(' OR ');
  const superuser = `(SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)`;
  const refusal = `USING ERRCODE = 'insufficient_privilege', HINT = 'audit tables are append-only; only the database admin changes them'`;
  try {
    await admin.query('BEGIN');
    await admin.query(`CREATE SCHEMA IF NOT EXISTS ${guard} AUTHORIZATION CURRENT_USER`);
    await admin.query(`ALTER SCHEMA ${guard} OWNER TO CURRENT_USER`);
    await admin.query(`REVOKE ALL ON SCHEMA ${guard} FROM PUBLIC`);
    await admin.query(`
      CREATE OR REPLACE FUNCTION ${guard}.refuse_audit_change() RETURNS trigger
      LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
      BEGIN
        RAISE EXCEPTION '% on %.% refused: audit records are append-only',
          TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME ${refusal};
      END $$`);
    await admin.query(`
      CREATE OR REPLACE FUNCTION ${guard}.refuse_audit_ddl() RETURNS event_trigger
      LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        command record;
        rel oid;
        touches boolean;
      BEGIN
        IF ${superuser} THEN RETURN; END IF;
        FOR command IN SELECT * FROM pg_catalog.pg_event_trigger_ddl_commands() LOOP
          rel := CASE command.classid
            WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN command.objid
            WHEN 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN
              (SELECT t.tgrelid FROM pg_catalog.pg_trigger t WHERE t.oid = command.objid)
            WHEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN
              (SELECT w.ev_class FROM pg_catalog.pg_rewrite w WHERE w.oid = command.objid)
            WHEN 'pg_catalog.pg_policy'::pg_catalog.regclass THEN
              (SELECT p.polrelid FROM pg_catalog.pg_policy p WHERE p.oid = command.objid)
          END;
          CONTINUE WHEN rel IS NULL;
          ${touchesGuarded} INTO touches;
          CONTINUE WHEN NOT touches;
          CONTINUE WHEN command.command_tag = 'CREATE TRIGGER' AND EXISTS (
            SELECT 1 FROM pg_catalog.pg_trigger t
             WHERE t.oid = command.objid AND (${exactShape})
               AND t.tgfoid = ${guardFunction} AND t.tgenabled = 'O'
               AND t.tgqual IS NULL AND t.tgattr::pg_catalog.text = ''
               AND NOT t.tgisinternal AND t.tgconstraint = 0);
          RAISE EXCEPTION '% on % refused', command.command_tag, command.object_identity ${refusal};
        END LOOP;
      END $$`);
    await admin.query(`
      CREATE OR REPLACE FUNCTION ${guard}.refuse_audit_drop() RETURNS event_trigger
      LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        dropped record;
      BEGIN
        IF ${superuser} THEN RETURN; END IF;
        FOR dropped IN SELECT * FROM pg_catalog.pg_event_trigger_dropped_objects() LOOP
          IF dropped.object_type = 'trigger' AND dropped.address_names[3] IN (${names}) THEN
            RAISE EXCEPTION 'dropping % refused', dropped.object_identity ${refusal};
          END IF;
        END LOOP;
      END $$`);
    for (const fn of ['refuse_audit_change()', 'refuse_audit_ddl()', 'refuse_audit_drop()'])
      await admin.query(`REVOKE ALL ON FUNCTION ${guard}.${fn} FROM PUBLIC`);
    for (const role of roles) {
      await admin.query(`GRANT USAGE ON SCHEMA ${guard} TO ${role}`);
      await admin.query(`GRANT EXECUTE ON FUNCTION ${guard}.refuse_audit_change() TO ${role}`);
    }
    for (const [name, event, fn] of [
      ['citadel_guard_audit_ddl', 'ddl_command_end', 'refuse_audit_ddl'],
      ['citadel_guard_audit_drop', 'sql_drop', 'refuse_audit_drop'],
    ] as const) {
      const exists = (
        await admin.query('SELECT 1 FROM pg_event_trigger WHERE evtname = $1', [name])
      ).rowCount;
      if (!exists)
        await admin.query(
          `CREATE EVENT TRIGGER ${name} ON ${event} EXECUTE FUNCTION ${guard}.${fn}()`,
        );
      // Enabled for every session, replica ones included (a superuser may have disabled it).
      await admin.query(`ALTER EVENT TRIGGER ${name} ENABLE ALWAYS`);
    }
    for (const service of DATA_SERVICES) {
      const table = `${admin.escapeIdentifier(service)}.audit_log`;
      const present = (
        await admin.query<{ tgname: string }>(
          `SELECT t.tgname FROM pg_catalog.pg_trigger t
            WHERE t.tgrelid = pg_catalog.to_regclass($1) AND NOT t.tgisinternal`,
          [table],
        )
      ).rows.map((row) => row.tgname);
      const exists = (await admin.query('SELECT pg_catalog.to_regclass($1) AS oid', [table]))
        .rows[0]?.oid;
      if (!exists) continue;
      for (const [name, shape] of Object.entries(GUARD_TRIGGERS)) {
        if (present.includes(name)) continue;
        await admin.query(
          `CREATE TRIGGER ${name} ${shape.replace('%s', table)} EXECUTE FUNCTION ${guard}.refuse_audit_change()`,
        );
      }
    }
    await admin.query('COMMIT');
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => undefined);
    throw new Error(
      `installing the audit guard (schema ${guard} and its event triggers; the admin URL must be a superuser's) failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
