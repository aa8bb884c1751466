import { jest } from '@jest/globals';
import { openServiceDatabase, sql, type Kysely, type ServiceDatabase } from '@citadel/database';
import { GENESIS_HASH } from './audit-chain.js';
import { AuditLog } from './audit-log.js';
import {
  appendOnlyTable,
  AUDIT_APPEND_ONLY_MIGRATION,
  AUDIT_LOG_MIGRATION,
  type AuditDatabase,
} from './audit.migrations.js';

interface ShopDatabase {
  refunds: { id: string };
}

describe('audit log (hash chain)', () => {
  let database: ServiceDatabase<AuditDatabase>;
  let audit: AuditLog;

  beforeEach(async () => {
    database = await openServiceDatabase<AuditDatabase>(
      'shop',
      { kind: 'embedded-memory' },
      { '001-audit-log': AUDIT_LOG_MIGRATION },
    );
    audit = new AuditLog(database.db, 'shop');
  });
  afterEach(() => database.close());

  const refund = (actor: string, target: string) =>
    audit.append({ actor, action: 'order.refund', target, outcome: 'ok', traceId: 'abc' });
  /**
   * An edit at rest by someone holding the data as a superuser: the append-only triggers
   * refuse it until they are switched off, which is what such an attacker does first.
   */
  const atRest = (query: ReturnType<typeof sql>) =>
    database.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await query.execute(trx);
    });

  it('chains each record to the one before it', async () => {
    const first = await refund('u1', 'o1');
    const second = await refund('u1', 'o2');
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(second.prevHash).toBe(first.hash);
    expect(await audit.verify()).toEqual({ service: 'shop', ok: true, records: 2 });
  });

  it('keeps one unbroken chain under concurrent appends', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => refund(`u${i % 3}`, `o${i}`)));
    const verification = await audit.verify();
    expect(verification).toEqual({ service: 'shop', ok: true, records: 40 });
  });

  it('group-commits the appends that queue up, in the order they were made', async () => {
    const commits: number[] = [];
    audit.onAppend((record) => void commits.push(record.seq));
    const transactions = jest.spyOn(database.db, 'transaction');
    const records = await Promise.all(Array.from({ length: 30 }, (_, i) => refund('u1', `o${i}`)));
    expect(records.map((record) => record.target)).toEqual(
      Array.from({ length: 30 }, (_, i) => `o${i}`),
    );
    expect(records.map((record) => record.seq)).toEqual(commits);
    // The first append is written alone; the 29 that queued behind it share a transaction.
    expect(transactions).toHaveBeenCalledTimes(2);
    expect(await audit.verify()).toEqual({ service: 'shop', ok: true, records: 30 });
  });

  it('fails every append of a batch whose transaction fails, and stores none of it', async () => {
    const first = refund('u1', 'o1');
    // PostgreSQL refuses a NUL byte in text: the second record fails the batch's one insert.
    const batch = [refund('u1', 'o2'), refund('u1', 'nul\u0000byte')];
    await first;
    await expect(Promise.allSettled(batch)).resolves.toEqual([
      { status: 'rejected', reason: expect.any(Error) },
      { status: 'rejected', reason: expect.any(Error) },
    ]);
    const next = await refund('u1', 'o3');
    expect(next.seq).toBe(2);
    expect(await audit.verify()).toEqual({ service: 'shop', ok: true, records: 2 });
  });

  it('names the first altered record', async () => {
    for (let i = 1; i <= 5; i++) await refund('u1', `o${i}`);
    await atRest(sql`update audit_log set target = 'someone-else' where seq = 3`);
    const verification = await audit.verify();
    expect(verification.ok).toBe(false);
    expect(verification.records).toBe(2);
    expect(verification.firstBroken).toEqual({
      seq: 3,
      reason: 'content does not match its hash (record altered)',
    });
  });

  it('notices a re-hashed record through the next link', async () => {
    for (let i = 1; i <= 4; i++) await refund('u1', `o${i}`);
    // A forger who recomputes record 2's own hash still breaks record 3's prev_hash.
    await atRest(sql`update audit_log set hash = ${'f'.repeat(64)} where seq = 2`);
    expect((await audit.verify()).firstBroken?.seq).toBe(2);
  });

  it('notices a deleted record', async () => {
    for (let i = 1; i <= 4; i++) await refund('u1', `o${i}`);
    await atRest(sql`delete from audit_log where seq = 2`);
    expect((await audit.verify()).firstBroken).toEqual({
      seq: 3,
      reason: 'expected record 2, found 3 (records removed)',
    });
  });

  it.each([
    ['UPDATE', sql`update audit_log set target = 'someone-else' where seq = 1`],
    ['DELETE', sql`delete from audit_log where seq = 2`],
    ['TRUNCATE', sql`truncate audit_log`],
    ['DELETE in a writable CTE', sql`with gone as (delete from audit_log returning 1) select 1`],
  ])('refuses %s on audit_log: records are append-only', async (_, query) => {
    await refund('u1', 'o1');
    await refund('u1', 'o2');
    await expect(query.execute(database.db)).rejects.toMatchObject({
      code: '42501',
      message: expect.stringMatching(/refused: audit records are append-only/),
    });
    expect(await audit.verify()).toEqual({ service: 'shop', ok: true, records: 2 });
    // Appends go on as before.
    expect((await refund('u1', 'o3')).seq).toBe(3);
  });

  it('appendOnlyTable guards any table of the schema the same way', async () => {
    await sql`create table evidence (id int primary key, note text)`.execute(database.db);
    await appendOnlyTable('evidence').up(database.db as unknown as Kysely<unknown>);
    await appendOnlyTable('evidence').up(database.db as unknown as Kysely<unknown>);
    await sql`insert into evidence values (1, 'seen')`.execute(database.db);
    for (const query of [
      sql`update evidence set note = 'unseen'`,
      sql`delete from evidence`,
      sql`truncate evidence`,
    ]) {
      await expect(query.execute(database.db)).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/on shop\.evidence refused/),
      });
    }
    const triggers = await sql<{ tgname: string }>`
      select tgname from pg_trigger where tgrelid = 'evidence'::regclass order by tgname`.execute(
      database.db,
    );
    expect(triggers.rows.map((row) => row.tgname)).toEqual([
      'citadel_append_only',
      'citadel_no_truncate',
    ]);
  });

  it('appendOnlyTable takes only a plain table name', () => {
    expect(() => appendOnlyTable('evidence; drop table audit_log')).toThrow(/not a plain table/);
  });

  it('AUDIT_APPEND_ONLY_MIGRATION guards an audit table that predates the guard', async () => {
    await refund('u1', 'o1');
    // As it was before the guard: no triggers.
    await sql`drop trigger citadel_append_only on audit_log`.execute(database.db);
    await sql`drop trigger citadel_no_truncate on audit_log`.execute(database.db);
    await sql`update audit_log set detail = 'mutable'`.execute(database.db);
    await sql`update audit_log set detail = ''`.execute(database.db);

    await AUDIT_APPEND_ONLY_MIGRATION.up(database.db as unknown as Kysely<unknown>);
    await AUDIT_APPEND_ONLY_MIGRATION.up(database.db as unknown as Kysely<unknown>);
    await expect(sql`update audit_log set detail = 'x'`.execute(database.db)).rejects.toMatchObject(
      { code: '42501' },
    );
    await expect(sql`truncate audit_log`.execute(database.db)).rejects.toMatchObject({
      code: '42501',
    });
    const triggers = await sql<{ tgname: string }>`
      select tgname from pg_trigger where tgrelid = 'audit_log'::regclass order by tgname`.execute(
      database.db,
    );
    expect(triggers.rows.map((row) => row.tgname)).toEqual([
      'citadel_append_only',
      'citadel_no_truncate',
    ]);
  });

  it("refuses to migrate as a role that is not a superuser when the admin's guard is missing", async () => {
    await sql`create role shop_app nosuperuser`.execute(database.db);
    await sql`grant usage on schema shop to shop_app`.execute(database.db);
    await database.db.transaction().execute(async (trx) => {
      await sql`set local role shop_app`.execute(trx);
      await expect(
        AUDIT_APPEND_ONLY_MIGRATION.up(trx as unknown as Kysely<unknown>),
      ).rejects.toThrow(/the audit guard \(schema citadel_guard\) is missing from this database/);
    });
  });

  it('finds records by trace id, newest first', async () => {
    await refund('u1', 'o1');
    await audit.append({ actor: 'u2', action: 'order.create', target: 'o9', outcome: 'ok' });
    const found = await audit.find({ traceId: 'abc' });
    expect(found.map((record) => record.target)).toEqual(['o1']);
  });

  it('pages the hashes of the chain after a seq, at most 1000 a page', async () => {
    const records = await Promise.all(
      Array.from({ length: 1_005 }, (_, i) => refund('u1', `o${i}`)),
    );
    const page = await audit.hashes(2, 2);
    expect(page).toEqual([
      { seq: 3, hash: records[2]!.hash },
      { seq: 4, hash: records[3]!.hash },
    ]);
    expect(await audit.hashes(0, 0)).toHaveLength(1_000);
    expect(await audit.hashes(1, 5_000)).toHaveLength(1_000);
    expect(await audit.hashes(1_000, 0)).toHaveLength(5);
    expect(await audit.hashes(1_005, 10)).toEqual([]);
  });

  it('tells its head, the genesis hash when empty', async () => {
    expect(await audit.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
    await refund('u1', 'o1');
    const second = await refund('u1', 'o2');
    expect(await audit.head()).toEqual({ seq: 2, hash: second.hash });
  });

  describe('transaction', () => {
    beforeEach(() =>
      sql`create table refunds (id text primary key)`.execute(database.db).then(() => undefined),
    );
    const refundsIn = () =>
      database.db
        .selectFrom('refunds' as never)
        .selectAll()
        .execute();

    it('commits the act and its records together, chained after the group-committed ones', async () => {
      const told: number[] = [];
      audit.onAppend((record) => void told.push(record.seq));
      await refund('u1', 'o1');
      const result = await audit.transaction<string, ShopDatabase>(async (trx, record) => {
        await trx.insertInto('refunds').values({ id: 'r1' }).execute();
        record({ actor: 'u1', action: 'order.refund', target: 'o2', outcome: 'ok' });
        record({ actor: 'u1', action: 'payment.refund', target: 'r1', outcome: 'ok' });
        return 'done';
      });
      expect(result).toBe('done');
      expect(await refundsIn()).toEqual([{ id: 'r1' }]);
      expect(told).toEqual([1, 2, 3]);
      const stored = await audit.find();
      expect(stored.map((r) => [r.seq, r.target])).toEqual([
        [3, 'r1'],
        [2, 'o2'],
        [1, 'o1'],
      ]);
      expect(await audit.verify()).toEqual({ service: 'shop', ok: true, records: 3 });
    });

    it('rolls back the act and its records together when the act throws', async () => {
      const told: number[] = [];
      audit.onAppend((record) => void told.push(record.seq));
      await expect(
        audit.transaction<void, ShopDatabase>(async (trx, record) => {
          await trx.insertInto('refunds').values({ id: 'r1' }).execute();
          record({ actor: 'u1', action: 'payment.refund', target: 'r1', outcome: 'ok' });
          throw new Error('card network down');
        }),
      ).rejects.toThrow('card network down');
      expect(await refundsIn()).toEqual([]);
      expect(await audit.find()).toEqual([]);
      expect(told).toEqual([]);
    });

    it('rolls back the act when its records cannot be stored', async () => {
      await expect(
        audit.transaction<void, ShopDatabase>(async (trx, record) => {
          await trx.insertInto('refunds').values({ id: 'r1' }).execute();
          record({ actor: 'u1', action: 'payment.refund', target: 'nul\u0000', outcome: 'ok' });
        }),
      ).rejects.toThrow();
      expect(await refundsIn()).toEqual([]);
      expect((await refund('u1', 'o1')).seq).toBe(1);
    });

    it('refuses a record made after the act settled', async () => {
      let late: (() => void) | undefined;
      await audit.transaction(async (_trx, record) => {
        late = () => record({ actor: 'u1', action: 'order.refund', target: 'o1', outcome: 'ok' });
      });
      expect(late).toThrow(/made after its transaction's act settled/);
      expect(await audit.find()).toEqual([]);
    });

    it('keeps one chain when transactions and appends interleave', async () => {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2
            ? refund('u1', `o${i}`)
            : audit.transaction(async (_trx, record) => {
                record({ actor: 'u2', action: 'order.refund', target: `t${i}`, outcome: 'ok' });
                record({ actor: 'u2', action: 'payment.refund', target: `t${i}`, outcome: 'ok' });
              }),
        ),
      );
      expect(await audit.verify()).toEqual({ service: 'shop', ok: true, records: 30 });
    });
  });
});
