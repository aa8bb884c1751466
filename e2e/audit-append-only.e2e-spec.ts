// Issue 20 on real PostgreSQL: whoever holds the order service's own database credentials
// (from Vault; the role owns the schema and the audit table) cannot rewrite, delete, cut off
// or unguard its audit records: PostgreSQL refuses, and the service keeps appending. Needs
// the server on 127.0.0.1:5432 (.ci/run starts it); without one the file says so and skips,
// except on CI, where it runs and fails.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import vault from 'node-vault';
import type { RunningSystem } from '@citadel/launcher';
import { secretPaths } from '@citadel/secrets';
import { LOCAL_POSTGRES_ADMIN, localPostgresAvailable } from '@citadel/testing';
import { auditVerify } from './support/audit-verify.js';
import { placeOrder } from './support/http.js';
import { bootOwnSystem } from './support/own-system.js';

const ADMIN = LOCAL_POSTGRES_ADMIN;

const available = await localPostgresAvailable('audit-append-only: the real-PostgreSQL tests');

interface Credentials {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

(available ? describe : describe.skip)(
  "audit records are append-only for the service's own role",
  () => {
    const database = `citadel_e2e_${randomBytes(4).toString('hex')}`;
    let system: RunningSystem;
    let home: string;
    let dispose: () => Promise<void>;
    let order: Credentials;

    /** Runs statements in one transaction as order's own login role: rows, or the SQLSTATE. */
    async function asOrderRole(...statements: string[]) {
      const client = new pg.Client(order);
      await client.connect();
      try {
        await client.query('BEGIN');
        let rows: Record<string, unknown>[] = [];
        for (const statement of statements) rows = (await client.query(statement)).rows;
        await client.query('COMMIT');
        return { rows, code: undefined as string | undefined };
      } catch (error) {
        return { rows: [], code: (error as { code?: string }).code };
      } finally {
        await client.end();
      }
    }
    const chain = async () =>
      (await asOrderRole('SELECT seq, actor, action, target, hash FROM audit_log ORDER BY seq'))
        .rows;

    beforeAll(async () => {
      const setup = new pg.Client(ADMIN);
      await setup.connect();
      await setup.query(`CREATE DATABASE ${database}`);
      await setup.end();
      ({ system, home, dispose } = await bootOwnSystem({
        databaseAdminUrl: `postgres://postgres@127.0.0.1:5432/${database}`,
      }));
      const root = vault({ endpoint: system.vault.addr });
      root.token = fs.readFileSync(path.join(home, 'vault', 'root-token'), 'utf8').trim();
      order = (await root.read(`secret/data/${secretPaths.database('order')}`)).data.data;
      await placeOrder('alice');
    }, 120_000);

    afterAll(async () => {
      await dispose?.();
      const cleanup = new pg.Client(ADMIN);
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      for (const service of ['auth', 'order', 'payment'])
        await cleanup.query(`DROP ROLE IF EXISTS ${database}_${service}`);
      await cleanup.end();
    });

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
