import { AUDIT_LOG_MIGRATION, AuditLog, type AuditDatabase } from '@citadel/audit';
import type {
  AuditHashes,
  AuditVerification,
  ListAuditHashesRequest,
  ListAuditRequest,
  ListAuditResponse,
} from '@citadel/contracts';
import { openServiceDatabase, sql, type ServiceDatabase } from '@citadel/database';
import { auditControllerFor } from './audit.controller.js';

/** The controller's handlers, as Nest calls them once the guards let a call through. */
interface AuditMethods {
  verifyAudit(request: object): Promise<AuditVerification>;
  listAudit(request: ListAuditRequest): Promise<ListAuditResponse>;
  listAuditHashes(request: ListAuditHashesRequest): Promise<AuditHashes>;
}

describe('the audit methods every service serves', () => {
  let database: ServiceDatabase<AuditDatabase>;
  let controller: AuditMethods;

  beforeAll(async () => {
    database = await openServiceDatabase<AuditDatabase>(
      'shop',
      { kind: 'embedded-memory' },
      { '001-audit-log': AUDIT_LOG_MIGRATION },
    );
    const audit = new AuditLog(database.db, 'shop');
    const AuditController = auditControllerFor('order');
    controller = new AuditController(audit) as AuditMethods;
    for (const target of ['o1', 'o2', 'o3']) {
      await audit.append({ actor: 'u1', action: 'order.refund', target, outcome: 'ok' });
    }
    // An embedded PostgreSQL's first start takes seconds on a busy machine.
  }, 60_000);
  afterAll(() => database.close());

  /**
   * An edit at rest by someone holding the data as a superuser: the append-only triggers
   * refuse it until they are switched off, which is what such an attacker does first.
   */
  const atRest = (query: ReturnType<typeof sql>) =>
    database.db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await query.execute(trx);
    });

  it('VerifyAudit: an intact chain, every record counted', async () => {
    expect(await controller.verifyAudit({})).toEqual({
      service: 'shop',
      ok: true,
      records: 3,
      first_broken_seq: 0,
      reason: '',
    });
  });

  it('VerifyAudit: names the first record edited at rest, and why', async () => {
    await atRest(sql`update audit_log set target = 'someone-else' where seq = 2`);
    const verification = await controller.verifyAudit({});
    expect(verification).toMatchObject({ ok: false, records: 1, first_broken_seq: 2 });
    expect(verification.reason).not.toBe('');
    // Verified afresh on every call: put back, the chain holds again.
    await atRest(sql`update audit_log set target = 'o2' where seq = 2`);
    expect(await controller.verifyAudit({})).toMatchObject({ ok: true, records: 3 });
  });

  it('ListAuditHashes: the pairs after after_seq, oldest first; 0 means the default page', async () => {
    const all = await controller.listAuditHashes({ service: '', after_seq: 0, limit: 0 });
    expect(all.hashes.map((position) => position.seq)).toEqual([1, 2, 3]);
    const page = await controller.listAuditHashes({ service: '', after_seq: 1, limit: 1 });
    expect(page.hashes).toEqual([all.hashes[1]]);
  });

  it('ListAudit: stored rows as messages, filtered by the request', async () => {
    const { records } = await controller.listAudit({
      trace_id: '',
      actor: 'u1',
      action: '',
      limit: 2,
    });
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ service: 'shop', actor: 'u1', action: 'order.refund' });
    expect(typeof records[0]!.seq).toBe('number');
    expect(
      (await controller.listAudit({ trace_id: '', actor: 'u2', action: '', limit: 0 })).records,
    ).toEqual([]);
  });
});
