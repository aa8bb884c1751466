import { jest } from '@jest/globals';
import { openServiceDatabase, sql, type ServiceDatabase } from '@citadel/database';
import { AnomalyDetector } from './anomaly.js';
import { GENESIS_HASH } from './audit-chain.js';
import { AuditLog } from './audit-log.js';
import { AUDIT_LOG_MIGRATION, type AuditDatabase } from './audit.migrations.js';

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
    await sql`update audit_log set target = 'someone-else' where seq = 3`.execute(database.db);
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
    await sql`update audit_log set hash = ${'f'.repeat(64)} where seq = 2`.execute(database.db);
    expect((await audit.verify()).firstBroken?.seq).toBe(2);
  });

  it('notices a deleted record', async () => {
    for (let i = 1; i <= 4; i++) await refund('u1', `o${i}`);
    await sql`delete from audit_log where seq = 2`.execute(database.db);
    expect((await audit.verify()).firstBroken).toEqual({
      seq: 3,
      reason: 'expected record 2, found 3 (records removed)',
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
