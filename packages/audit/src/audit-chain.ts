import { createHash } from 'node:crypto';

/** The `prev_hash` of the first record: nothing came before it. */
export const GENESIS_HASH = '0'.repeat(64);

export type AuditOutcome = 'ok' | 'denied' | 'failed';

/** One sensitive act, as the service that saw it records it. */
export interface AuditEvent {
  /** Who acted: a user id, `service:<name>` or `anonymous`. */
  actor: string;
  /** What was attempted, `<noun>.<verb>`: `order.refund`, `auth.login`, `rpc.denied`. */
  action: string;
  /** What it was done to: an order id, an email, `<service>.<Method>`. */
  target: string;
  outcome: AuditOutcome;
  /** The service whose certificate made the call, when the act arrived over gRPC. */
  callerService?: string | undefined;
  traceId?: string | undefined;
  /**
   * A short reason (why it was denied or failed); never a secret. It may end in
   * machine-readable facts, `key=value` tokens (keys `/^[a-z_]+$/`, values without
   * spaces): `refund amount_cents=1250 currency=EUR`, `bad password client_ip=127.0.0.2`.
   * Write them with `withFacts` and read them with `detailFacts` (audit-facts.ts); the
   * monitor's rules sum `amount_cents` and group by `client_ip`.
   */
  detail?: string | undefined;
}

/** A stored record: the event, where and when it was recorded, and its place in the chain. */
export interface AuditRecord {
  seq: number;
  time: string;
  service: string;
  actor: string;
  action: string;
  target: string;
  outcome: AuditOutcome;
  callerService: string;
  traceId: string;
  detail: string;
  prevHash: string;
  hash: string;
}

export type UnhashedRecord = Omit<AuditRecord, 'hash'>;

/**
 * SHA-256 over the previous record's hash and every field of this one, in a fixed order
 * (JSON array, so no field can bleed into the next). Changing, removing or reordering any
 * record changes every hash after it.
 */
export function chainHash(record: UnhashedRecord): string {
  const fields = [
    record.seq,
    record.time,
    record.service,
    record.actor,
    record.action,
    record.target,
    record.outcome,
    record.callerService,
    record.traceId,
    record.detail,
  ];
  return createHash('sha256')
    .update(record.prevHash)
    .update('\n')
    .update(JSON.stringify(fields))
    .digest('hex');
}

export interface ChainBreak {
  seq: number;
  reason: string;
}

/**
 * Walks records in `seq` order (the caller pages through storage) and reports the first
 * one that does not follow from its predecessor: a gap in `seq` (deleted record), a
 * `prev_hash` that is not the previous record's hash, or a hash that does not match the
 * record's own content (edited record).
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private previousHash = GENESIS_HASH;
  count = 0;

  /** The first break in `record`, or undefined when it extends the chain. */
  next(record: AuditRecord): ChainBreak | undefined {
    const { seq } = record;
    if (seq !== this.expectedSeq) {
      return { seq, reason: `expected record ${this.expectedSeq}, found ${seq} (records removed)` };
    }
    if (record.prevHash !== this.previousHash) {
      return { seq, reason: 'prev_hash is not the hash of the record before it' };
    }
    if (chainHash(record) !== record.hash) {
      return { seq, reason: 'content does not match its hash (record altered)' };
    }
    this.expectedSeq += 1;
    this.previousHash = record.hash;
    this.count += 1;
    return undefined;
  }
}
