import { sql } from '@citadel/database';
import { openMonitor, ServiceChain, T0, type MonitorHarness } from './testing/monitor-harness.js';

describe("the monitor's evidence is append-only (embedded PostgreSQL)", () => {
  let monitor: MonitorHarness;

  beforeAll(async () => {
    monitor = await openMonitor();
    // Rows to try to rewrite: two records, a refund-total alert, then a cut tail's break.
    const chain = new ServiceChain('payment');
    chain.append({ action: 'payment.refund', detail: 'amount_cents=50000' }, T0);
    chain.append({}, T0 + 1000);
    await monitor.service.deliver('payment', chain.delivery());
    chain.truncate(1);
    monitor.clock.now += 60_000;
    await expect(monitor.service.deliver('payment', chain.heartbeat())).rejects.toThrow();
  });
  afterAll(() => monitor.close());

  it.each(['received_records', 'chain_breaks', 'alerts'])(
    '%s refuses UPDATE, DELETE and TRUNCATE, and keeps its rows',
    async (table) => {
      const { rows } = await sql<{
        n: number;
      }>`select count(*)::int as n from ${sql.table(table)}`.execute(monitor.database.db);
      expect(rows[0]!.n).toBeGreaterThan(0);
      for (const statement of [
        sql`update ${sql.table(table)} set service = 'other'`,
        sql`delete from ${sql.table(table)}`,
        sql`truncate ${sql.table(table)}`,
      ]) {
        await expect(statement.execute(monitor.database.db)).rejects.toThrow(/append-only/);
      }
      const after = await sql<{
        n: number;
      }>`select count(*)::int as n from ${sql.table(table)}`.execute(monitor.database.db);
      expect(after.rows[0]!.n).toBe(rows[0]!.n);
    },
  );
});
