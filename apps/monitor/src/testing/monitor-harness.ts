// Spec support (not built): a monitor on an in-memory database, and services' chains
// written exactly as AuditLog writes them, record by record, at times the spec chooses.
import {
  AuditLog,
  chainHash,
  fromAuditRow,
  GENESIS_HASH,
  toAuditRow,
  type AuditEvent,
} from '@citadel/audit';
import type { AuditRecord, DeliverRequest } from '@citadel/contracts';
import { openServiceDatabase, type ServiceDatabase } from '@citadel/database';
import { ChainRepository } from '../chains/chain.repository.js';
import { DeliveryService } from '../chains/delivery.service.js';
import { MONITOR_MIGRATIONS, type MonitorDatabase } from '../monitor.migrations.js';
import { ANOMALY_RULES } from '../rules/anomaly.rules.js';
import { RulesEngine } from '../rules/rules-engine.js';

/** 2026-12-07T00:00:00Z: a boundary of every rule's window, so specs know which window a record falls in. */
export const T0 = Date.UTC(2026, 11, 7);

/** A service's own hash-chained audit trail, as its AuditLog would write it. */
export class ServiceChain {
  readonly records: AuditRecord[] = [];

  constructor(readonly service: string) {}

  get head(): { seq: number; hash: string } {
    const last = this.records.at(-1);
    return { seq: last?.seq ?? 0, hash: last?.hash ?? GENESIS_HASH };
  }

  /** Appends one record at `atMs` (epoch ms). */
  append(event: Partial<AuditEvent>, atMs: number): AuditRecord {
    const unhashed = {
      seq: this.head.seq + 1,
      time: new Date(atMs).toISOString(),
      service: this.service,
      actor: event.actor ?? 'u-someone',
      action: event.action ?? 'order.create',
      target: event.target ?? 'o-1',
      outcome: event.outcome ?? 'ok',
      callerService: event.callerService ?? 'gateway',
      traceId: event.traceId ?? '',
      detail: event.detail ?? '',
      prevHash: this.head.hash,
    };
    const record = { ...toAuditRow({ ...unhashed, hash: chainHash(unhashed) }), seq: unhashed.seq };
    this.records.push(record);
    return record;
  }

  /** The records after `afterSeq` (all by default), with this chain's head. */
  delivery(afterSeq = 0): DeliverRequest {
    return {
      records: this.records.filter((record) => record.seq > afterSeq),
      source_head_seq: this.head.seq,
      source_head_hash: this.head.hash,
    };
  }

  /** An idle delivery: no records, just the head. */
  heartbeat(): DeliverRequest {
    return { records: [], source_head_seq: this.head.seq, source_head_hash: this.head.hash };
  }

  /**
   * What someone holding the service's database does to hide an act: rewrites record
   * `seq` and re-computes every hash after it, so the service's own chain still verifies.
   */
  rewrite(seq: number, change: Partial<AuditRecord>): void {
    let prevHash = seq === 1 ? GENESIS_HASH : this.records[seq - 2]!.hash;
    for (let i = seq - 1; i < this.records.length; i++) {
      const record = { ...this.records[i]!, ...(i === seq - 1 ? change : {}), prev_hash: prevHash };
      record.hash = chainHash(fromAuditRow(record));
      this.records[i] = record;
      prevHash = record.hash;
    }
  }

  /** Cuts the newest records off, as a DELETE by someone holding the database would. */
  truncate(toSeq: number): void {
    this.records.splice(toSeq);
  }
}

export interface LoggedLine {
  level: 'warn' | 'error';
  details: Record<string, unknown>;
}

export interface MonitorHarness {
  database: ServiceDatabase<MonitorDatabase>;
  audit: AuditLog;
  service: DeliveryService;
  lines: LoggedLine[];
  /** The monitor's clock, in epoch ms; specs move it. */
  clock: { now: number };
  /** A DeliveryService on the same database with another rules engine. */
  withRules(rules: RulesEngine): DeliveryService;
  close(): Promise<void>;
}

export async function openMonitor(): Promise<MonitorHarness> {
  const database = await openServiceDatabase<MonitorDatabase>(
    'monitor',
    { kind: 'embedded-memory' },
    MONITOR_MIGRATIONS,
  );
  const audit = new AuditLog(database.db, 'monitor');
  const lines: LoggedLine[] = [];
  const log = {
    warn: (details: object) => lines.push({ level: 'warn', details: { ...details } }),
    error: (details: object) => lines.push({ level: 'error', details: { ...details } }),
  };
  const clock = { now: T0 };
  const withRules = (rules: RulesEngine) =>
    new DeliveryService(
      database.db,
      new ChainRepository(database.db),
      rules,
      audit,
      log,
      () => new Date(clock.now),
    );
  return {
    database,
    audit,
    service: withRules(new RulesEngine(ANOMALY_RULES)),
    lines,
    clock,
    withRules,
    close: () => database.close(),
  };
}
