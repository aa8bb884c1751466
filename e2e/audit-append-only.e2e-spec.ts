// On real PostgreSQL: whoever holds the order service's own database credentials
// (from Vault; the role owns the schema and the audit table) cannot rewrite, delete, cut off
// or unguard its audit records: PostgreSQL refuses, and the service keeps appending. (The
// database's superuser can switch the guard off: the monitor's copy catches what it then
// rewrites or cuts, monitor-tamper.e2e-spec.ts.) Needs the server on 127.0.0.1:5432
// (.ci/run starts it); without one the file says so and skips, except on CI, where it runs
// and fails.
import { localPostgresAvailable } from '@citadel/testing';
import { auditVerify } from './support/audit-verify.js';
import { placeOrder } from './support/http.js';
import {
  asRole,
  bootOnFreshPostgres,
  type Credentials,
  type DataService,
} from './support/postgres-system.js';

const available = await localPostgresAvailable('audit-append-only: the real-PostgreSQL tests');

(available ? describe : describe.skip)(
  "audit records are append-only for the service's own role",
  () => {
    let order: Credentials;
    let dispose: (() => Promise<void>) | undefined;

    /** Runs statements in one transaction as order's own login role: rows, or the SQLSTATE. */
    const asOrderRole = (...statements: string[]) => asRole(order, ...statements);
    const chain = async () =>
      (await asOrderRole('SELECT seq, actor, action, target, hash FROM audit_log ORDER BY seq'))
        .rows;

    beforeAll(async () => {
      let credentials: Record<DataService, Credentials>;
      ({ credentials, dispose } = await bootOnFreshPostgres());
      order = credentials.order;
      await placeOrder('alice');
    }, 120_000);

    afterAll(() => dispose?.());

    it("the role is the audit table's owner, and the table holds the order's record", async () => {
      const owner = await asOrderRole(
        `SELECT tableowner FROM pg_tables WHERE schemaname = 'order' AND tablename = 'audit_log'`,
      );
      expect(owner.rows).toEqual([{ tableowner: order.user }]);
      const records = await chain();
      expect(records.map((record) => record.action)).toContain('order.create');
      expect((await auditVerify()).code).toBe(0);
    });

    it.each([
      ['UPDATE audit_log', "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1"],
      [
        'DELETE FROM audit_log',
        'DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)',
      ],
      ['TRUNCATE audit_log', 'TRUNCATE audit_log'],
      ['DROP TABLE audit_log', 'DROP TABLE audit_log'],
      ['ALTER TABLE audit_log DISABLE TRIGGER ALL', 'ALTER TABLE audit_log DISABLE TRIGGER ALL'],
      ['DROP TRIGGER citadel_append_only', 'DROP TRIGGER citadel_append_only ON audit_log'],
      ['DROP TRIGGER citadel_no_truncate', 'DROP TRIGGER citadel_no_truncate ON audit_log'],
      ['DROP SCHEMA "order" CASCADE', 'DROP SCHEMA "order" CASCADE'],
    ])("%s as order's own role → refused by PostgreSQL (42501)", async (_, statement) => {
      const before = await chain();
      expect((await asOrderRole(statement)).code).toBe('42501');
      expect(await chain()).toEqual(before);
    });

    it('DISABLE TRIGGER then UPDATE in one transaction → refused at the DISABLE, nothing rewritten', async () => {
      const before = await chain();
      const attempt = await asOrderRole(
        'ALTER TABLE audit_log DISABLE TRIGGER citadel_append_only',
        "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1",
      );
      expect(attempt.code).toBe('42501');
      expect(await chain()).toEqual(before);
    });

    it('the service still appends: an order placed after the attempts is audited, and the chain verifies', async () => {
      const placed = await placeOrder('alice');
      const records = await chain();
      expect(records).toContainEqual(
        expect.objectContaining({ action: 'order.create', target: placed.id }),
      );
      const { code, stdout } = await auditVerify();
      expect(stdout).toMatch(/^order\s+ok/m);
      expect(code).toBe(0);
    });
  },
);
