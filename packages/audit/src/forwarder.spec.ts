import { openServiceDatabase, type ServiceDatabase } from '@citadel/database';
import { GENESIS_HASH } from './audit-chain.js';
import { AuditLog, toAuditRow, type ChainPosition } from './audit-log.js';
import { AUDIT_LOG_MIGRATION, type AuditDatabase } from './audit.migrations.js';
import {
  AuditForwarder,
  type Delivery,
  type DeliveredRecord,
  type ForwarderTiming,
  type MonitorPort,
} from './forwarder.js';

/**
 * The monitor's Deliver and GetHead, as far as the forwarder can tell: it holds one chain,
 * skips records it holds with the same hash and refuses any record that does not continue
 * its head. Calls fail while `down` is set; `loseAnswers` stores a delivery and then fails
 * the call, as a connection lost after the commit does.
 */
class FakeMonitor implements MonitorPort {
  readonly held: DeliveredRecord[] = [];
  readonly deliveries: Delivery[] = [];
  down = false;
  loseAnswers = 0;

  private get head(): ChainPosition {
    const last = this.held.at(-1);
    return last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  async getHead(): Promise<ChainPosition> {
    await Promise.resolve();
    if (this.down) throw new Error('UNAVAILABLE: monitor down');
    return this.head;
  }

  async deliver(delivery: Delivery): Promise<ChainPosition> {
    await Promise.resolve();
    if (this.down) throw new Error('UNAVAILABLE: monitor down');
    this.deliveries.push(delivery);
    for (const record of delivery.records) {
      const held = this.held[record.seq - 1];
      if (held && held.hash === record.hash) continue;
      if (held || record.seq !== this.head.seq + 1 || record.prev_hash !== this.head.hash) {
        throw new Error(`FAILED_PRECONDITION: record ${record.seq} does not continue the chain`);
      }
      this.held.push(record);
    }
    if (this.loseAnswers > 0) {
      this.loseAnswers -= 1;
      throw new Error('UNAVAILABLE: connection lost after the delivery');
    }
    return this.head;
  }
}

const FAST: ForwarderTiming = { pollMs: 20, heartbeatMs: 5_000, backoffMs: 5, maxBackoffMs: 20 };

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('audit forwarder', () => {
  let database: ServiceDatabase<AuditDatabase>;
  let audit: AuditLog;
  let monitor: FakeMonitor;
  let logs: { level: 'warn' | 'info'; details: object }[];
  const forwarders: AuditForwarder[] = [];

  beforeEach(async () => {
    database = await openServiceDatabase<AuditDatabase>(
      'shop',
      { kind: 'embedded-memory' },
      { '001-audit-log': AUDIT_LOG_MIGRATION },
    );
    audit = new AuditLog(database.db, 'shop');
    monitor = new FakeMonitor();
    logs = [];
  });
  afterEach(async () => {
    await Promise.all(forwarders.splice(0).map((forwarder) => forwarder.stop()));
    await database.close();
  });

  const forwarder = (timing: Partial<ForwarderTiming> = FAST, port: MonitorPort = monitor) => {
    const started = new AuditForwarder(
      audit,
      port,
      {
        warn: (details) => logs.push({ level: 'warn', details }),
        info: (details) => logs.push({ level: 'info', details }),
      },
      timing,
    );
    forwarders.push(started);
    started.start();
    return started;
  };
  const append = (count: number, from = 1) =>
    Promise.all(
      Array.from({ length: count }, (_, i) =>
        audit.append({
          actor: 'u1',
          action: 'order.refund',
          target: `o${from + i}`,
          outcome: 'ok',
        }),
      ),
    );
  const heldSeqs = () => monitor.held.map((record) => record.seq);
  const range = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('delivers the records after the head the monitor holds, oldest first', async () => {
    const records = await append(5);
    monitor.held.push(
      ...records.slice(0, 3).map((record) => ({ ...toAuditRow(record), seq: record.seq })),
    );
    forwarder();
    await until(() => monitor.held.length === 5, 'the monitor holds all 5');
    expect(monitor.deliveries[0]!.records.map((record) => record.seq)).toEqual([4, 5]);
    expect(monitor.deliveries[0]).toMatchObject({
      source_head_seq: 5,
      source_head_hash: records[4]!.hash,
    });
  });

  it('delivers at most 500 records a call', async () => {
    await append(1_200);
    forwarder();
    await until(() => monitor.held.length === 1_200, 'the monitor holds all 1200');
    expect(monitor.deliveries.map((delivery) => delivery.records.length)).toEqual([500, 500, 200]);
    expect(heldSeqs()).toEqual(range(1, 1_200));
  });

  it('wakes on an append rather than waiting for the poll', async () => {
    forwarder({ ...FAST, pollMs: 60_000, heartbeatMs: 60_000 });
    await until(() => monitor.deliveries.length === 1, 'the first heartbeat');
    await append(2);
    await until(() => monitor.held.length === 2, 'the monitor holds both');
  });

  it('after a failure, backs off, asks the head again and resends without skipping', async () => {
    await append(3);
    monitor.down = true;
    forwarder();
    await until(() => logs.length > 0, 'the outage is logged');
    await append(2, 4);
    await new Promise((resolve) => setTimeout(resolve, 60));
    monitor.down = false;
    await until(() => monitor.held.length === 5, 'the monitor holds all 5');
    expect(heldSeqs()).toEqual(range(1, 5));
    // Several failed calls, one line for the outage and one for its end.
    expect(logs.map(({ level, details }) => [level, (details as { event: string }).event])).toEqual(
      [
        ['warn', 'audit.forward-failed'],
        ['info', 'audit.forward-resumed'],
      ],
    );
  });

  it('when an answer is lost after the monitor stored the records, resumes from its head', async () => {
    await append(3);
    monitor.loseAnswers = 1;
    forwarder();
    await until(() => monitor.deliveries.length >= 2, 'the resend');
    await append(1, 4);
    await until(() => monitor.held.length === 4, 'the monitor holds all 4');
    expect(heldSeqs()).toEqual(range(1, 4));
    // Asked again, the head says records 1 to 3 arrived: nothing is sent twice.
    expect(monitor.deliveries.map((delivery) => delivery.records.map((r) => r.seq))).toEqual([
      [1, 2, 3],
      [],
      [4],
    ]);
  });

  it('delivers at least once across a restart: a new forwarder resumes from the head', async () => {
    await append(4);
    const first = forwarder();
    await until(() => monitor.held.length === 4, 'the first forwarder delivered');
    await first.stop();
    await append(3, 5);
    const calls = monitor.deliveries.length;
    forwarder();
    await until(() => monitor.held.length === 7, 'the second forwarder delivered');
    expect(monitor.deliveries[calls]!.records.map((record) => record.seq)).toEqual([5, 6, 7]);
    expect(heldSeqs()).toEqual(range(1, 7));
  });

  it('sends a heartbeat with the source head when it has nothing to deliver', async () => {
    const records = await append(3);
    forwarder({ ...FAST, heartbeatMs: 40 });
    await until(() => monitor.deliveries.length >= 3, 'two heartbeats after the records');
    const [, heartbeat] = monitor.deliveries;
    expect(heartbeat).toEqual({
      records: [],
      source_head_seq: 3,
      source_head_hash: records[2]!.hash,
    });
  });

  it('tells an empty table as the genesis head', async () => {
    forwarder();
    await until(() => monitor.deliveries.length === 1, 'the first heartbeat');
    expect(monitor.deliveries[0]).toEqual({
      records: [],
      source_head_seq: 0,
      source_head_hash: GENESIS_HASH,
    });
  });

  it('stop() cancels the call in flight, waits for it and makes no call after', async () => {
    let calls = 0;
    let cancelled = false;
    const hanging: MonitorPort = {
      getHead: () => Promise.resolve({ seq: 0, hash: GENESIS_HASH }),
      deliver: (_delivery, signal) => {
        calls += 1;
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => {
            cancelled = true;
            reject(new Error('CANCELLED'));
          }),
        );
      },
    };
    const stopping = forwarder(FAST, hanging);
    await until(() => calls === 1, 'the call is in flight');
    await stopping.stop();
    expect(cancelled).toBe(true);
    await append(2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toBe(1);
    expect(logs).toEqual([]);
  });
});
