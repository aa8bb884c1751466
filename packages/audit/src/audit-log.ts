import { sql, type Kysely } from '@citadel/database';
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

/** Called after each append, e.g. by the anomaly detector. Errors are the callee's own. */
export type AuditListener = (record: AuditRecord) => Promise<void> | void;

/**
 * A service's tamper-evident audit trail: append-only records in its own database, each
 * carrying the hash of the one before it (see {@link chainHash}). Appends are serialised
 * in-process and, across replicas, by a transaction-scoped advisory lock, so the chain
 * never forks.
 */
export class AuditLog {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly listeners: AuditListener[] = [];

  constructor(
    private readonly db: Kysely<AuditDatabase>,
    readonly service: string,
  ) {}

  /** Runs `listener` after every append (anomaly rules, metrics). */
  onAppend(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  /** Appends one record and returns it once it is stored. */
  append(event: AuditEvent): Promise<AuditRecord> {
    // Listeners run inside the queue too, so two rules never race on one window.
    const written = this.tail.then(async () => {
      const record = await this.write(event);
      for (const listener of this.listeners) await listener(record);
      return record;
    });
    this.tail = written.catch(() => undefined);
    return written;
  }

  private write(event: AuditEvent): Promise<AuditRecord> {
    return this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${APPEND_LOCK})`.execute(trx);
      const last = await trx
        .selectFrom('audit_log')
        .select(['seq', 'hash'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const unhashed = {
        seq: last ? Number(last.seq) + 1 : 1,
        time: new Date().toISOString(),
        service: this.service,
        actor: event.actor,
        action: event.action,
        target: event.target,
        outcome: event.outcome,
        callerService: event.callerService ?? '',
        traceId: event.traceId ?? '',
        detail: event.detail ?? '',
        prevHash: last?.hash ?? GENESIS_HASH,
      };
      const record: AuditRecord = { ...unhashed, hash: chainHash(unhashed) };
      await trx.insertInto('audit_log').values(toAuditRow(record)).execute();
      return record;
    });
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
        const broken = verifier.next(fromRow(row));
        if (broken) {
          return { service: this.service, ok: false, records: verifier.count, firstBroken: broken };
        }
      }
      if (rows.length < PAGE) break;
      after = Number(rows.at(-1)!.seq);
    }
    return { service: this.service, ok: true, records: verifier.count };
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
    return rows.map(fromRow);
  }

  /** How many `ok` records of `action` by `actor` were stored since `since`. */
  async count(actor: string, action: string, since: Date): Promise<number> {
    const { count } = await this.db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('actor', '=', actor)
      .where('action', '=', action)
      .where('outcome', '=', 'ok')
      .where('time', '>=', since.toISOString())
      .executeTakeFirstOrThrow();
    return Number(count);
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

function fromRow(row: AuditLogTable): AuditRecord {
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
