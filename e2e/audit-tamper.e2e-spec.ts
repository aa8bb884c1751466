// Tamper evidence: an attacker with write access to a service's database edits one
// audit record at rest; the hash chain gives it away, and the verifier names the record.
// The table refuses the edit until the attacker, as the data files' superuser, switches its
// triggers off (audit-append-only covers the service's own role on PostgreSQL).
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { auditVerify } from './support/audit-verify.js';
import { api, placeOrder, tokenFor } from './support/http.js';
import { bootOwnSystem } from './support/own-system.js';

describe('audit tampering', () => {
  let own: Awaited<ReturnType<typeof bootOwnSystem>>;
  beforeAll(async () => {
    own = await bootOwnSystem();
  }, 90_000);
  afterAll(() => own?.dispose());

  it('one altered record is found, and named, by the verifier', async () => {
    const order = await placeOrder('alice');
    const cancelled = await api('POST', `/v1/orders/${order.id}/cancel`, {
      token: await tokenFor('alice'),
    });
    expect(cancelled.status).toBe(200);
    expect((await auditVerify()).code).toBe(0);

    // The order service's own record of the cancel, edited at rest while it is down.
    await own.system.stopService('order');
    const db = new PGlite(path.join(own.home, 'data', 'order'));
    const rewrite = `UPDATE "order".audit_log SET actor = 'someone-else' WHERE action = 'order.cancel' RETURNING seq`;
    try {
      // The table is append-only: even a superuser's plain UPDATE is refused...
      await expect(db.query(rewrite)).rejects.toThrow(/refused: audit records are append-only/);
      // ...so the attacker holding the files does what a superuser can: switches triggers off.
      const { rows } = await db.transaction(async (tx) => {
        await tx.exec('SET LOCAL session_replication_role = replica');
        return tx.query<{ seq: number }>(rewrite);
      });
      expect(rows).toEqual([{ seq: 2 }]);
    } finally {
      await db.close();
    }
    await own.system.startService('order');

    const { code, stdout } = await auditVerify();
    expect(stdout).toMatch(/^order\s+BROKEN\s+at record 2: content does not match its hash/m);
    expect(stdout).toMatch(/^auth\s+ok/m);
    expect(stdout).toMatch(/^payment\s+ok/m);
    expect(code).toBe(1);
    const verified = await api('GET', '/v1/admin/audit/verify', { token: await tokenFor('ada') });
    expect(verified.json).toContainEqual(
      expect.objectContaining({ service: 'order', ok: false, first_broken_seq: 2 }),
    );
  }, 60_000);
});
