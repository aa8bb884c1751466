import { createHash } from 'node:crypto';
import { GENESIS_HASH, toAuditRow } from '@citadel/audit';
import { sql, type Kysely } from '@citadel/database';
import type { MonitorDatabase } from '../monitor.migrations.js';
import type { ReceivedRecord } from '../rules/record-facts.js';
import type { ChainBreakFinding } from './chain-continuity.js';

/** A chain as the monitor holds it: its head (seq 0, genesis hash when empty) and state. */
export interface HeldChain {
  service: string;
  seq: number;
  hash: string;
  /** When the head record arrived; undefined when the monitor holds none. */
  receivedAt?: Date;
  /** Whether a break was noted: deliveries are refused until an operator has looked. */
  broken: boolean;
}

export interface RecordHash {
  seq: number;
  hash: string;
}

/**
 * The advisory-lock namespace of the monitor's chains ("MONI"); the key within it is
 * derived from the service's name. Two-key locks never collide with AuditLog's one-key lock.
 */
const CHAIN_LOCK_NAMESPACE = 0x4d_4f_4e_49;

/**
 * The monitor's copy of each service's chain and the breaks noted in it. Construct it on
 * the delivery's transaction to read and write inside it.
 */
export class ChainRepository {
  constructor(private readonly db: Kysely<MonitorDatabase>) {}

  /**
   * Holds `service`'s chain until the transaction ends: monitor replicas share the
   * database, and two deliveries extending one chain at once would both read the same head.
   */
  async lock(service: string): Promise<void> {
    const key = createHash('sha256').update(service).digest().readInt32BE(0);
    await sql`select pg_advisory_xact_lock(${CHAIN_LOCK_NAMESPACE}::int4, ${key}::int4)`.execute(
      this.db,
    );
  }

  async head(service: string): Promise<HeldChain> {
    const last = await this.db
      .selectFrom('received_records')
      .select(['seq', 'hash', 'received_at'])
      .where('service', '=', service)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const broken = await this.db
      .selectFrom('chain_breaks')
      .select('seq')
      .where('service', '=', service)
      .limit(1)
      .executeTakeFirst();
    return {
      service,
      seq: last ? Number(last.seq) : 0,
      hash: last?.hash ?? GENESIS_HASH,
      receivedAt: last ? new Date(last.received_at) : undefined,
      broken: broken !== undefined,
    };
  }

  /** Every chain the monitor holds records of or noted a break in, by service name. */
  async heads(): Promise<HeldChain[]> {
    const tips = await this.db
      .selectFrom('received_records')
      .distinctOn('service')
      .select(['service', 'seq', 'hash', 'received_at'])
      .orderBy('service')
      .orderBy('seq', 'desc')
      .execute();
    const broken = new Set(
      (await this.db.selectFrom('chain_breaks').select('service').distinct().execute()).map(
        (row) => row.service,
      ),
    );
    const heads = new Map<string, HeldChain>();
    for (const service of broken) {
      heads.set(service, { service, seq: 0, hash: GENESIS_HASH, broken: true });
    }
    for (const tip of tips) {
      heads.set(tip.service, {
        service: tip.service,
        seq: Number(tip.seq),
        hash: tip.hash,
        receivedAt: new Date(tip.received_at),
        broken: broken.has(tip.service),
      });
    }
    return [...heads.values()].sort((a, b) => a.service.localeCompare(b.service));
  }

  /** The hashes held for `service`'s records `from`..`to` (inclusive), by seq. */
  async hashesBetween(service: string, from: number, to: number): Promise<Map<number, string>> {
    if (from > to) return new Map();
    const rows = await this.db
      .selectFrom('received_records')
      .select(['seq', 'hash'])
      .where('service', '=', service)
      .where('seq', '>=', from)
      .where('seq', '<=', to)
      .execute();
    return new Map(rows.map((row) => [Number(row.seq), row.hash]));
  }

  /** One page of `service`'s record hashes after `afterSeq`, in seq order. */
  async hashPage(service: string, afterSeq: number, limit: number): Promise<RecordHash[]> {
    const rows = await this.db
      .selectFrom('received_records')
      .select(['seq', 'hash'])
      .where('service', '=', service)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ seq: Number(row.seq), hash: row.hash }));
  }

  /** When the monitor received `service`'s record `seq`, if it holds it. */
  async receivedAt(service: string, seq: number): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom('received_records')
      .select('received_at')
      .where('service', '=', service)
      .where('seq', '=', seq)
      .executeTakeFirst();
    return row && new Date(row.received_at);
  }

  async insert(records: readonly ReceivedRecord[], receivedAt: Date): Promise<void> {
    if (records.length === 0) return;
    await this.db
      .insertInto('received_records')
      .values(
        records.map((record) => ({
          ...toAuditRow(record),
          received_at: receivedAt,
          amount_cents: record.amountCents,
          client_ip: record.clientIp,
        })),
      )
      .execute();
  }

  async noteBreak(service: string, finding: ChainBreakFinding, notedAt: Date): Promise<void> {
    await this.db
      .insertInto('chain_breaks')
      .values({
        service,
        seq: finding.seq,
        kind: finding.kind,
        detail: finding.detail,
        noted_at: notedAt,
      })
      .execute();
  }
}
