import { sql, type Kysely, type Transaction } from '@citadel/database';
import {
  chainHash,
  ChainVerifier,
  GENESIS_HASH,
  type AuditEvent,
  type AuditOutcome,
  type AuditRecord,
  type ChainBreak,
} from './audit-chain.js';
import type { AuditDatabase, AuditLogTable } from './audit.migrations.js';

/** Serialises appends across replicas sharing one database (any constant works; one per table). */
const APPEND_LOCK = 0x43_49_54_41; // "CITA"
const PAGE = 500;

export interface ChainVerification {
  service: string;
  ok: boolean;
  /** Records that verified, in order, before the first break (all of them when ok). */
  records: number;
  firstBroken?: ChainBreak;
}

export interface AuditQuery {
  traceId?: string;
  actor?: string;
  action?: string;
  limit?: number;
}

/**
 * Told of each record once it is committed (the forwarder wakes on it). A notification,
 * not a step of the write: it cannot undo the commit, so it must not throw (one that does
 * fails the call that made the record, though the record is stored).
 */
export type AuditListener = (record: AuditRecord) => void;

/** Records an event in the act's transaction (see {@link AuditLog.transaction}). */
export type RecordAudit = (event: AuditEvent) => void;

/** A record's place in the chain. */
export interface ChainPosition {
  seq: number;
  hash: string;
}

/** The largest page of {@link AuditLog.hashes}. */
export const MAX_HASHES = 1000;

/** At most this many records go into one transaction (see {@link AuditLog.append}). */
const MAX_BATCH = 256;

interface PendingAppend {
  event: AuditEvent;
  resolve(record: AuditRecord): void;
  reject(error: unknown): void;
}

/**
 * A service's tamper-evident audit trail: append-only records in its own database, each
 * carrying the hash of the one before it (see {@link chainHash}). Every write takes a
 * transaction-scoped advisory lock, reads the chain's head and inserts after it, so the
 * chain never forks, across replicas too. The table is also the service's outbox: the
 * forwarder ships it to the monitor (forwarder.ts).
 *
 * An act that changes state writes its records with {@link transaction}, in the act's own
 * transaction: the act and its records commit or roll back together, so no act goes
 * unrecorded and no record claims an act that did not happen.
 *
 * Appends are group-committed: while one transaction is writing, the appends that arrive
 * queue up, and the next transaction writes all of them (up to {@link MAX_BATCH}) under one
 * lock, one read of the chain's head and one commit. Under load that turns one commit per
 * record, each waiting its turn, into one commit per batch; alone, a record still gets its
 * own transaction at once. Each caller's promise settles once its record is committed and
 * the listeners have seen it; a failed transaction fails every append in it, and nothing
 * of it is stored.
 */
export class AuditLog {
  private readonly pending: PendingAppend[] = [];
  private flushing = false;
  private readonly listeners: AuditListener[] = [];

  constructor(
    private readonly db: Kysely<AuditDatabase>,
    readonly service: string,
  ) {}

  /**
   * Runs `listener` after every record is committed, whichever way it was written.
   * Returns what stops it.
   */
  onAppend(listener: AuditListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /**
   * Runs `act` in one transaction of the service's database together with the records it
   * makes through `record`: they are written after `act` resolves, in the order made, under
   * the same lock and head read as {@link append}, and commit with it. When `act` throws,
   * neither its changes nor its records are stored. Listeners run after the commit.
   *
   * `record` belongs to this call: making a record after `act` has settled (a promise left
   * running) throws, since that record could no longer commit with the act.
   */
  async transaction<T, DB = unknown>(
    act: (trx: Transaction<DB>, record: RecordAudit) => Promise<T>,
  ): Promise<T> {
    const events: AuditEvent[] = [];
    let open = true;
    const record: RecordAudit = (event) => {
      if (!open) {
        throw new Error(
          `audit record "${event.action}" made after its transaction's act settled: it cannot commit with the act`,
        );
      }
      events.push(event);
    };
    let records: AuditRecord[] = [];
    const result = await this.db.transaction().execute(async (trx) => {
      let value: T;
      try {
        // The caller's tables live in the same schema; AuditDatabase only names ours.
        value = await act(trx as unknown as Transaction<DB>, record);
      } finally {
        open = false;
      }
      records = await this.appendIn(trx, events);
      return value;
    });
    for (const stored of records) this.notify(stored);
    return result;
  }

  /** Appends one record and returns it once it is stored. */
  append(event: AuditEvent): Promise<AuditRecord> {
    return new Promise<AuditRecord>((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Writes the queue, batch after batch, until it is empty. */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        let records: AuditRecord[];
        try {
          records = await this.write(batch.map(({ event }) => event));
        } catch (error) {
          for (const append of batch) append.reject(error);
          continue;
        }
        for (const [i, append] of batch.entries()) {
          try {
            this.notify(records[i]!);
            append.resolve(records[i]!);
          } catch (error) {
            append.reject(error);
          }
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private notify(record: AuditRecord): void {
    for (const listener of this.listeners) listener(record);
  }

  private write(events: AuditEvent[]): Promise<AuditRecord[]> {
    return this.db.transaction().execute((trx) => this.appendIn(trx, events));
  }

  /**
   * Chains `events` after the head and inserts them, inside `trx`. The advisory lock is
   * held to the end of `trx`, so the head read here is still the head at its commit.
   */
  private async appendIn(
    trx: Transaction<AuditDatabase>,
    events: readonly AuditEvent[],
  ): Promise<AuditRecord[]> {
    if (events.length === 0) return [];
    await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(trx);
    const last = await trx
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    let seq = last ? Number(last.seq) : 0;
    let prevHash = last?.hash ?? GENESIS_HASH;
    const time = new Date().toISOString();
    const records = events.map((event): AuditRecord => {
      const unhashed = {
        seq: ++seq,
        time,
        service: this.service,
        actor: event.actor,
        action: event.action,
        target: event.target,
        outcome: event.outcome,
        callerService: event.callerService ?? '',
        traceId: event.traceId ?? '',
        detail: event.detail ?? '',
        prevHash,
      };
      const record = { ...unhashed, hash: chainHash(unhashed) };
      prevHash = record.hash;
      return record;
    });
    await trx.insertInto('audit_log').values(records.map(toAuditRow)).execute();
    return records;
  }

  /** Re-computes the whole chain, page by page, and names the first record that breaks it. */
  async verify(): Promise<ChainVerification> {
    const verifier = new ChainVerifier();
    let after = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>', after)
        .orderBy('seq', 'asc')
        .limit(PAGE)
        .execute();
      for (const row of rows) {
        const broken = verifier.next(fromAuditRow(row));
        if (broken) {
          return { service: this.service, ok: false, records: verifier.count, firstBroken: broken };
        }
      }
      if (rows.length < PAGE) break;
      after = Number(rows.at(-1)!.seq);
    }
    return { service: this.service, ok: true, records: verifier.count };
  }

  /** The newest record's place in the chain: seq 0 and the genesis hash when there is none. */
  async head(): Promise<ChainPosition> {
    const last = await this.db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    return last ? { seq: Number(last.seq), hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
  }

  /** Up to `limit` records after `afterSeq`, oldest first: what the forwarder ships next. */
  async after(afterSeq: number, limit: number): Promise<AuditRecord[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq', 'asc')
      .limit(limit)
      .execute();
    return rows.map(fromAuditRow);
  }

  /**
   * The `(seq, hash)` of up to `limit` records after `afterSeq`, oldest first: what the
   * auditor compares with the monitor's copy of the chain. A `limit` of 0 or more than
   * {@link MAX_HASHES} means {@link MAX_HASHES} (ListAuditHashesRequest.limit).
   */
  async hashes(afterSeq: number, limit: number): Promise<ChainPosition[]> {
    const rows = await this.db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .where('seq', '>', afterSeq)
      .orderBy('seq', 'asc')
      .limit(limit > 0 ? Math.min(Math.trunc(limit), MAX_HASHES) : MAX_HASHES)
      .execute();
    return rows.map((row) => ({ seq: Number(row.seq), hash: row.hash }));
  }

  /** The newest records matching `query` (at most 200). */
  async find(query: AuditQuery = {}): Promise<AuditRecord[]> {
    let select = this.db.selectFrom('audit_log').selectAll();
    if (query.traceId) select = select.where('trace_id', '=', query.traceId);
    if (query.actor) select = select.where('actor', '=', query.actor);
    if (query.action) select = select.where('action', '=', query.action);
    const rows = await select
      .orderBy('seq', 'desc')
      .limit(Math.min(Math.max(query.limit ?? 100, 1), 200))
      .execute();
    return rows.map(fromAuditRow);
  }
}

/** A record as stored (and as `citadel.audit.v1.AuditRecord` carries it): snake_case. */
export function toAuditRow(record: AuditRecord): AuditLogTable {
  return {
    seq: record.seq,
    time: record.time,
    service: record.service,
    actor: record.actor,
    action: record.action,
    target: record.target,
    outcome: record.outcome,
    caller_service: record.callerService,
    trace_id: record.traceId,
    detail: record.detail,
    prev_hash: record.prevHash,
    hash: record.hash,
  };
}

/**
 * The inverse of {@link toAuditRow}: a stored row, or a `citadel.audit.v1.AuditRecord` as a
 * delivery carries it, as the record its hash was computed over.
 */
export function fromAuditRow(row: AuditLogTable): AuditRecord {
  return {
    seq: Number(row.seq),
    time: row.time,
    service: row.service,
    actor: row.actor,
    action: row.action,
    target: row.target,
    outcome: row.outcome as AuditOutcome,
    callerService: row.caller_service,
    traceId: row.trace_id,
    detail: row.detail,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
