// The audit guard on real PostgreSQL (127.0.0.1:5432, trust auth for postgres): a service's
// own login role, owner of its schema and of its audit table, still cannot change, remove
// or unguard a record. Without a server the file says so and skips, except on CI, where it
// runs and fails.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { LOCAL_POSTGRES_ADMIN, localPostgresAvailable } from '@citadel/testing';
import { provisionServiceRoles, type DatabaseLogin } from './database-roles.js';

const ADMIN = LOCAL_POSTGRES_ADMIN;

const available = await localPostgresAvailable('database-roles: the audit guard specs');

/** What packages/audit's migration does on PostgreSQL, as the service's role. */
const GUARDED_AUDIT_LOG = [
  'CREATE TABLE audit_log (seq bigint PRIMARY KEY, detail text NOT NULL)',
  `CREATE TRIGGER citadel_append_only BEFORE UPDATE OR DELETE ON audit_log
     FOR EACH ROW EXECUTE FUNCTION citadel_guard.refuse_audit_change()`,
  `CREATE TRIGGER citadel_no_truncate BEFORE TRUNCATE ON audit_log
     FOR EACH STATEMENT EXECUTE FUNCTION citadel_guard.refuse_audit_change()`,
];

(available ? describe : describe.skip)('audit guard (PostgreSQL)', () => {
  const database = `citadel_guard_spec_${randomBytes(4).toString('hex')}`;
  const adminUrl = `postgres://postgres@127.0.0.1:5432/${database}`;
  let credentials: Record<string, DatabaseLogin>;

  async function asRole<T = Record<string, unknown>>(
    service: string,
    ...statements: string[]
  ): Promise<{ rows: T[]; code?: string; message?: string }> {
    const client = new pg.Client(service === 'admin' ? adminUrl : credentials[service]);
    await client.connect();
    try {
      let rows: T[] = [];
      for (const statement of statements) rows = (await client.query(statement)).rows as T[];
      return { rows };
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      return { rows: [], code, message };
    } finally {
      await client.end();
    }
  }
  const records = async (table = 'audit_log') =>
    (await asRole<{ seq: string; detail: string }>('order', `SELECT * FROM ${table} ORDER BY seq`))
      .rows;

  beforeAll(async () => {
    const setup = new pg.Client(ADMIN);
    await setup.connect();
    await setup.query(`CREATE DATABASE ${database}`);
    await setup.end();
    credentials = await provisionServiceRoles(adminUrl);
    const created = await asRole('order', ...GUARDED_AUDIT_LOG);
    expect(created.code).toBeUndefined();
    expect(
      (await asRole('order', "INSERT INTO audit_log VALUES (1, 'one'), (2, 'two')")).code,
    ).toBeUndefined();
  }, 60_000);

  afterAll(async () => {
    const cleanup = new pg.Client(ADMIN);
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    for (const credential of Object.values(credentials ?? {}))
      await cleanup.query(`DROP ROLE IF EXISTS ${credential.user}`);
    await cleanup.end();
  });

  it('the service role appends and reads', async () => {
    expect((await asRole('order', "INSERT INTO audit_log VALUES (3, 'three')")).code).toBe(
      undefined,
    );
    expect((await records()).map((row) => row.detail)).toEqual(['one', 'two', 'three']);
  });

  it.each([
    ['UPDATE', "UPDATE audit_log SET detail = 'forged' WHERE seq = 1"],
    [
      'UPDATE through a view',
      'CREATE VIEW v AS SELECT * FROM audit_log',
      "UPDATE v SET detail = 'x'",
    ],
    ['DELETE', 'DELETE FROM audit_log WHERE seq = 2'],
    ['DELETE in a writable CTE', 'WITH gone AS (DELETE FROM audit_log RETURNING 1) SELECT 1'],
    ['TRUNCATE', 'TRUNCATE audit_log'],
    ['DROP TABLE', 'DROP TABLE audit_log'],
    ['DROP TABLE … CASCADE', 'DROP TABLE audit_log CASCADE'],
    ['DROP SCHEMA … CASCADE', 'DROP SCHEMA "order" CASCADE'],
    ['DROP OWNED', `DROP OWNED BY CURRENT_USER`],
    ['DROP TRIGGER (row)', 'DROP TRIGGER citadel_append_only ON audit_log'],
    ['DROP TRIGGER (truncate)', 'DROP TRIGGER citadel_no_truncate ON audit_log'],
    ['ALTER TABLE … DISABLE TRIGGER ALL', 'ALTER TABLE audit_log DISABLE TRIGGER ALL'],
    ['ALTER TABLE … DISABLE TRIGGER USER', 'ALTER TABLE audit_log DISABLE TRIGGER USER'],
    [
      'ALTER TABLE … ENABLE REPLICA TRIGGER',
      'ALTER TABLE audit_log ENABLE REPLICA TRIGGER citadel_append_only',
    ],
    ['ALTER TABLE … RENAME', 'ALTER TABLE audit_log RENAME TO audit_log_old'],
    ['ALTER TABLE … ADD COLUMN', 'ALTER TABLE audit_log ADD COLUMN x int'],
    ['ALTER TRIGGER … RENAME', 'ALTER TRIGGER citadel_append_only ON audit_log RENAME TO gone'],
    [
      'CREATE OR REPLACE TRIGGER with a harmless function',
      `CREATE FUNCTION nothing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`,
      `CREATE OR REPLACE TRIGGER citadel_append_only BEFORE UPDATE OR DELETE ON audit_log
         FOR EACH ROW EXECUTE FUNCTION nothing()`,
    ],
    [
      'CREATE OR REPLACE TRIGGER with the guard, but on INSERT only',
      `CREATE OR REPLACE TRIGGER citadel_append_only BEFORE INSERT ON audit_log
         FOR EACH ROW EXECUTE FUNCTION citadel_guard.refuse_audit_change()`,
    ],
    [
      'CREATE OR REPLACE TRIGGER with the guard, WHEN (false)',
      `CREATE OR REPLACE TRIGGER citadel_append_only BEFORE UPDATE OR DELETE ON audit_log
         FOR EACH ROW WHEN (false) EXECUTE FUNCTION citadel_guard.refuse_audit_change()`,
    ],
    ['CREATE RULE', 'CREATE RULE hide AS ON INSERT TO audit_log DO INSTEAD NOTHING'],
    ['ENABLE ROW LEVEL SECURITY', 'ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY'],
    ['CREATE TABLE … INHERITS', 'CREATE TABLE child () INHERITS (audit_log)'],
    [
      'ATTACH PARTITION to a parent of its own',
      'CREATE TABLE p (seq bigint, detail text NOT NULL) PARTITION BY RANGE (seq)',
      'ALTER TABLE p ATTACH PARTITION audit_log FOR VALUES FROM (0) TO (100)',
    ],
    ['SET session_replication_role', 'SET session_replication_role = replica'],
    ['ALTER the guard function', 'ALTER FUNCTION citadel_guard.refuse_audit_change() RENAME TO x'],
    ['DROP the event trigger', 'DROP EVENT TRIGGER citadel_guard_audit_ddl'],
    ['ALTER EVENT TRIGGER … DISABLE', 'ALTER EVENT TRIGGER citadel_guard_audit_drop DISABLE'],
  ])("%s by the service's own role → refused by PostgreSQL", async (_, ...statements) => {
    const before = await records();
    const attempt = await asRole('order', 'BEGIN', ...statements, 'COMMIT');
    expect(attempt.code).toBe('42501');
    expect(await records()).toEqual(before);
    expect((await asRole('order', "UPDATE audit_log SET detail = 'x' WHERE seq = 1")).code).toBe(
      '42501',
    );
  });

  it('refuses with a message that says why', async () => {
    const attempt = await asRole('order', 'ALTER TABLE audit_log DISABLE TRIGGER ALL');
    expect(attempt.message).toMatch(/ALTER TABLE on "order"\.audit_log refused/);
    const update = await asRole('order', "UPDATE audit_log SET detail = 'x'");
    expect(update.message).toMatch(
      /UPDATE on order\.audit_log refused: audit records are append-only/,
    );
  });

  it("leaves the service's other tables to it: the guard is about audit tables only", async () => {
    const ordinary = await asRole(
      'order',
      'CREATE TABLE alerts (id int PRIMARY KEY, detail text)',
      "INSERT INTO alerts VALUES (1, 'a')",
      "UPDATE alerts SET detail = 'b'",
      'DELETE FROM alerts',
      'ALTER TABLE alerts ADD COLUMN raised_at timestamptz',
      'CREATE INDEX audit_log_detail ON audit_log (detail)',
      'DROP TABLE alerts',
    );
    expect(ordinary.code).toBeUndefined();
  });

  it('a superuser still can (what an attacker with the admin password must do)', async () => {
    const admin = await asRole(
      'admin',
      'BEGIN',
      'UPDATE "order".audit_log SET detail = \'x\' WHERE seq = 1',
      'ROLLBACK',
    );
    expect(admin.code).toBe('42501');
    const replica = await asRole(
      'admin',
      'BEGIN',
      'SET LOCAL session_replication_role = replica',
      // Left uncommitted: closing the connection rolls it back.
      'UPDATE "order".audit_log SET detail = \'x\' WHERE seq = 1 RETURNING seq',
    );
    expect(replica.code).toBeUndefined();
    expect(replica.rows).toEqual([{ seq: '1' }]);
  });

  it('guards an audit table created before the guard existed, on the next run, keeping passwords', async () => {
    // An older deployment: payment's audit_log exists without triggers.
    const admin = new pg.Client(adminUrl);
    await admin.connect();
    await admin.query('DROP EVENT TRIGGER citadel_guard_audit_ddl');
    await admin.end();
    const legacy = await asRole(
      'payment',
      'CREATE TABLE audit_log (seq bigint PRIMARY KEY, detail text NOT NULL)',
      "INSERT INTO audit_log VALUES (1, 'old')",
      "UPDATE audit_log SET detail = 'still mutable'",
    );
    expect(legacy.code).toBeUndefined();

    const again = await provisionServiceRoles(adminUrl);
    expect(again).toEqual(credentials);
    expect((await asRole('payment', "UPDATE audit_log SET detail = 'x'")).code).toBe('42501');
    expect((await asRole('payment', 'DROP TABLE audit_log')).code).toBe('42501');
    expect((await asRole('payment', 'ALTER TABLE audit_log DISABLE TRIGGER ALL')).code).toBe(
      '42501',
    );
    expect((await asRole('payment', "INSERT INTO audit_log VALUES (2, 'new')")).code).toBe(
      undefined,
    );
  });
});
