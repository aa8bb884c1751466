// On real PostgreSQL: whoever holds the database itself (the admin, a superuser,
// who can switch the append-only triggers off with session_replication_role = replica)
// rewrites a record of order's audit chain and recomputes every later hash, or cuts the
// newest records off payment's (the refunds). Each chain in the database verifies again;
// the monitor's copy does not agree: it raises the alert and audit:verify names the record.
// (The service's own role cannot even try: audit-append-only.e2e-spec.ts.) Needs the server
// on 127.0.0.1:5432; without one the file says so and skips, except on CI, where it runs
// and fails.
import type pg from 'pg';
import type { GrpcServiceName } from '@citadel/config';
import type { AuditRecord } from '@citadel/contracts';
import { localPostgresAvailable } from '@citadel/testing';
import { auditVerify, monitorHeads, rechained, untilDelivered } from './support/audit-verify.js';
import { api, awaitAlert, placeOrder, tokenFor } from './support/http.js';
import { asAdmin, bootOnFreshPostgres } from './support/postgres-system.js';

const available = await localPostgresAvailable('monitor-tamper: the real-PostgreSQL tests');

/** Alerts appear once the next heartbeat (5 s) arrives, a cut tail after a 5 s grace. */
const ALERT_TIMEOUT_MS = 30_000;

/**
 * Runs `work` as the database's superuser, in one transaction with the append-only triggers
 * off and `service`'s audit table locked against the service's own appends meanwhile.
 */
function asAdminUnguarded(
  database: string,
  service: GrpcServiceName,
  work: (client: pg.Client) => Promise<void>,
) {
  return asAdmin(async (client) => {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    await client.query(`LOCK TABLE "${service}".audit_log IN ACCESS EXCLUSIVE MODE`);
    await work(client);
    await client.query('COMMIT');
  }, database);
}

(available ? describe : describe.skip)('a database admin tampering with audit chains', () => {
  let database = '';
  let dispose: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ database, dispose } = await bootOnFreshPostgres());
    // Three orders placed and cancelled (charged and refunded at payment), all delivered:
    // both chains are intact, and the monitor holds every record of them.
    for (let placed = 0; placed < 3; placed += 1) {
      const order = await placeOrder('alice');
      const cancelled = await api('POST', `/v1/orders/${order.id}/cancel`, {
        token: await tokenFor('alice'),
      });
      expect(cancelled.status).toBe(200);
    }
    await untilDelivered();
    expect((await auditVerify()).code).toBe(0);
  }, 180_000);
  afterAll(() => dispose?.());

  it("order's record k rewritten, every later hash recomputed → chain-tampered, and audit:verify names record k", async () => {
    const head = (await monitorHeads()).get('order')!.seq;
    const k = 2;
    expect(head).toBeGreaterThan(k + 1);

    await asAdminUnguarded(database, 'order', async (client) => {
      const { rows } = await client.query<AuditRecord>(
        'SELECT * FROM "order".audit_log WHERE seq >= $1 ORDER BY seq',
        [k],
      );
      const [record, ...later] = rows;
      for (const rewritten of rechained([{ ...record!, actor: 'someone-else' }, ...later])) {
        await client.query(
          'UPDATE "order".audit_log SET actor = $1, prev_hash = $2, hash = $3 WHERE seq = $4',
          [rewritten.actor, rewritten.prev_hash, rewritten.hash, rewritten.seq],
        );
      }
    });

    const alert = await awaitAlert(
      'chain-tampered on order',
      ({ rule, service }) => rule === 'chain-tampered' && service === 'order',
      ALERT_TIMEOUT_MS,
    );
    expect(alert).toMatchObject({ severity: 'critical' });
    // The heartbeat shows the monitor the service's newest record, which no longer matches
    // its copy; which record was rewritten first, the comparison of the chains tells.
    expect(alert.detail).toMatch(
      new RegExp(`record ${head} differs from the copy the monitor holds`),
    );
    expect((await monitorHeads()).get('order')).toMatchObject({ broken: true });

    const { code, stdout } = await auditVerify();
    expect(stdout).toMatch(
      new RegExp(
        `^order\\s+BROKEN\\s+at record ${k}: its hash differs from the copy the monitor holds`,
        'm',
      ),
    );
    expect(code).toBe(1);
    // The chain in the database alone is fooled: order's own check passes.
    const verified = await api('GET', '/v1/admin/audit/verify', { token: await tokenFor('ada') });
    expect(verified.json).toContainEqual(expect.objectContaining({ service: 'order', ok: true }));
  });

  it("payment's newest records (the last refund and charge) cut off → chain-truncated, and audit:verify names the cut", async () => {
    const head = (await monitorHeads()).get('payment')!.seq;
    const kept = head - 2;
    expect(kept).toBeGreaterThan(0);

    await asAdminUnguarded(database, 'payment', async (client) => {
      await client.query('DELETE FROM payment.audit_log WHERE seq > $1', [kept]);
    });

    const alert = await awaitAlert(
      'chain-truncated on payment',
      ({ rule, service }) => rule === 'chain-truncated' && service === 'payment',
      ALERT_TIMEOUT_MS,
    );
    expect(alert).toMatchObject({ severity: 'critical' });
    expect(alert.detail).toMatch(new RegExp(`ends at record ${kept}, the monitor holds ${head}`));

    const { code, stdout } = await auditVerify();
    expect(stdout).toMatch(
      new RegExp(`^payment\\s+BROKEN\\s+at record ${kept + 1}: removed.*\\(tail cut\\)$`, 'm'),
    );
    expect(code).toBe(1);
  });
});
