import { jest } from '@jest/globals';
import { openServiceDatabase, sql, type Kysely, type ServiceDatabase } from '@citadel/database';
import { AnomalyDetector } from './anomaly.js';
import { GENESIS_HASH } from './audit-chain.js';
import { AuditLog } from './audit-log.js';
import {
  AUDIT_APPEND_ONLY_MIGRATION,
  AUDIT_LOG_MIGRATION,
  type AuditDatabase,
} from './audit.migrations.js';

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

  it('leaves the alerts table mutable: alerts are the output of detection, not evidence', async () => {
    await sql`insert into alerts (id, rule, actor, detail) values (gen_random_uuid(), 'r', 'a', '')`.execute(
      database.db,
    );
    await sql`update alerts set detail = 'seen'`.execute(database.db);
    await sql`delete from alerts`.execute(database.db);
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

  it('raises one alert per window when a rule matches', async () => {
    const warnings: object[] = [];
    const detector = new AnomalyDetector(
      database.db,
      audit,
      [
        {
          name: 'refund-burst',
          action: 'order.refund',
          threshold: 3,
          windowSeconds: 6,
          description: 'burst',
        },
      ],
      { warn: (details) => warnings.push(details), error: () => {} },
    );
    await refund('agent', 'o1');
    await refund('agent', 'o2');
    await refund('other', 'o3');
    expect(await detector.alerts()).toEqual([]);
    await Promise.all([refund('agent', 'o4'), refund('agent', 'o5')]);
    const alerts = await detector.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ rule: 'refund-burst', actor: 'agent' });
    expect(warnings).toEqual([expect.objectContaining({ event: 'alert.raised', actor: 'agent' })]);
  });
});
