// Tamper evidence: an attacker with write access to a service's database edits one
// audit record at rest; the hash chain gives it away, and the verifier names the record.
// The attacker who also recomputes every later hash gets a chain that verifies again, but
// not the copy the monitor holds: audit:verify names the same record by comparing the two.
// The table refuses the edit until the attacker, as the data files' superuser, switches its
// triggers off (audit-append-only covers the service's own role on PostgreSQL).
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { AuditRecord } from '@citadel/contracts';
import { auditVerify, rechained, untilDelivered } from './support/audit-verify.js';
import { api, placeOrder, tokenFor } from './support/http.js';
import { bootOwnSystem } from './support/own-system.js';

describe('audit tampering', () => {
  let own: Awaited<ReturnType<typeof bootOwnSystem>>;
  beforeAll(async () => {
    own = await bootOwnSystem();
  }, 180_000);
  afterAll(() => own?.dispose());

  /** Stops order, runs `work` on its data files as whoever holds them, then starts order again. */
  async function atRest<T>(work: (db: PGlite) => Promise<T>): Promise<T> {
    await own.system.stopService('order');
    const db = new PGlite(path.join(own.home, 'data', 'order'));
    try {
      return await work(db);
    } finally {
      await db.close();
      await own.system.startService('order');
    }
  }

  /** What the data files' superuser can do: one transaction with the triggers switched off. */
  const triggersOff = <T>(db: PGlite, work: (tx: Transaction) => Promise<T>) =>
    db.transaction(async (tx) => {
      await tx.exec('SET LOCAL session_replication_role = replica');
      return work(tx);
    });

  const orderVerification = async () =>
    (await api('GET', '/v1/admin/audit/verify', { token: await tokenFor('ada') })).json;

  it('one altered record is found, and named, by the verifier', async () => {
    const order = await placeOrder('alice');
    const cancelled = await api('POST', `/v1/orders/${order.id}/cancel`, {
      token: await tokenFor('alice'),
    });
    expect(cancelled.status).toBe(200);
    // The monitor holds order's records before anyone touches them.
    await untilDelivered(['order']);
    expect((await auditVerify()).code).toBe(0);

    // The order service's own record of the cancel, edited at rest while it is down.
    const rewrite = `UPDATE "order".audit_log SET actor = 'someone-else' WHERE action = 'order.cancel' RETURNING seq`;
    const { rows } = await atRest(async (db) => {
      // The table is append-only: even a superuser's plain UPDATE is refused...
      await expect(db.query(rewrite)).rejects.toThrow(/refused: audit records are append-only/);
      // ...so the attacker holding the files does what a superuser can: switches triggers off.
      return triggersOff(db, (tx) => tx.query<{ seq: number }>(rewrite));
    });
    expect(rows).toEqual([{ seq: 2 }]);

    const { code, stdout } = await auditVerify();
    expect(stdout).toMatch(/^order\s+BROKEN\s+at record 2: content does not match its hash/m);
    expect(stdout).toMatch(/^auth\s+ok/m);
    expect(stdout).toMatch(/^payment\s+ok/m);
    expect(code).toBe(1);
    expect(await orderVerification()).toContainEqual(
      expect.objectContaining({ service: 'order', ok: false, first_broken_seq: 2 }),
    );
  }, 90_000);

  it('the attacker then recomputes every later hash: the chain verifies again, the comparison with the monitor still names the record', async () => {
    await atRest((db) =>
      triggersOff(db, async (tx) => {
        const { rows } = await tx.query<AuditRecord>(
          'SELECT * FROM "order".audit_log WHERE seq >= 2 ORDER BY seq',
        );
        for (const record of rechained(rows)) {
          await tx.query('UPDATE "order".audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3', [
            record.prev_hash,
            record.hash,
            record.seq,
          ]);
        }
      }),
    );

    // Order's own check is fooled...
    expect(await orderVerification()).toContainEqual(
      expect.objectContaining({ service: 'order', ok: true }),
    );
    // ...the monitor's copy is not.
    const { code, stdout } = await auditVerify();
    expect(stdout).toMatch(
      /^order\s+BROKEN\s+at record 2: its hash differs from the copy the monitor holds/m,
    );
    expect(stdout).toMatch(/^auth\s+ok/m);
    expect(stdout).toMatch(/^payment\s+ok/m);
    expect(code).toBe(1);
  }, 90_000);
});
