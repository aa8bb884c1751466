import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuditLog } from '@citadel/audit';
import { openServiceDatabase, sql } from '@citadel/database';
import { ORDER_MIGRATIONS, type OrderDatabase } from './order.migrations.js';

describe('order migrations', () => {
  it('003 carries the unchained audit events of 002 into the hash chain, in order', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-order-migration-'));
    const config = { kind: 'embedded' as const, dataDir };
    try {
      const before = Object.fromEntries(
        Object.entries(ORDER_MIGRATIONS).filter(([name]) => name < '003'),
      );
      const old = await openServiceDatabase<OrderDatabase>('order', config, before);
      for (const [actor, action] of [
        ['u-sam', 'order.refund'],
        ['u-alice', 'order.create'],
      ]) {
        await sql`insert into audit_events (actor, action, target, outcome, trace_id)
                  values (${actor}, ${action}, 'o-1', 'ok', 'abc')`.execute(old.db);
      }
      await old.close();

      const upgraded = await openServiceDatabase<OrderDatabase>('order', config, ORDER_MIGRATIONS);
      try {
        const audit = new AuditLog(upgraded.db, 'order');
        const records = await audit.find();
        expect(records.map(({ seq, actor, action }) => [seq, actor, action])).toEqual([
          [2, 'u-alice', 'order.create'],
          [1, 'u-sam', 'order.refund'],
        ]);
        expect(await audit.verify()).toEqual({ service: 'order', ok: true, records: 2 });
        // New records continue the carried chain.
        await audit.append({
          actor: 'u-bob',
          action: 'order.create',
          target: 'o-2',
          outcome: 'ok',
        });
        expect(await audit.verify()).toMatchObject({ ok: true, records: 3 });
      } finally {
        await upgraded.close();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
