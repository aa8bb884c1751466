import { fromAuditRow, type AuditOutcome, type AuditRecord } from '@citadel/audit';
import type { AuditRecord as AuditRecordMessage, DeliverRequest } from '@citadel/contracts';
import type { ChainTip } from './chain-continuity.js';
import { InvalidDelivery } from './delivery.errors.js';

/** The most records one Deliver may carry (monitor.proto). */
export const MAX_RECORDS_PER_DELIVERY = 500;

/** `Date.toISOString()`'s shape, the one every AuditLog writes: text order is time order. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const OUTCOMES: ReadonlySet<string> = new Set<AuditOutcome>(['ok', 'denied', 'failed']);

/** One delivery, checked: the caller's records in ascending seq, and the head it reports. */
export interface Delivery {
  records: AuditRecord[];
  sourceHead: ChainTip;
}

/**
 * Reads a Deliver request for the chain of `service`, the caller its certificate names.
 * A record naming another service is refused, never filed under either chain: a service
 * can only extend its own. Times must be ISO 8601 UTC as AuditLog writes them, since the
 * rules compare them as text.
 */
export function readDelivery(service: string, request: DeliverRequest): Delivery {
  const { records } = request;
  if (records.length > MAX_RECORDS_PER_DELIVERY) {
    throw new InvalidDelivery(`at most ${MAX_RECORDS_PER_DELIVERY} records per delivery`);
  }
  const read = records.map((record) => readRecord(service, record));
  for (let i = 1; i < read.length; i++) {
    if (read[i]!.seq <= read[i - 1]!.seq) {
      throw new InvalidDelivery('records must come in ascending seq order');
    }
  }
  const { source_head_seq: seq, source_head_hash: hash } = request;
  if (!isSeq(seq, 0)) throw new InvalidDelivery('source_head_seq must be a non-negative integer');
  if (seq > 0 && !SHA256_HEX.test(hash)) {
    throw new InvalidDelivery('source_head_hash must be the SHA-256 (hex) of the head record');
  }
  return { records: read, sourceHead: { seq, hash } };
}

function readRecord(service: string, record: AuditRecordMessage): AuditRecord {
  if (record.service !== service) {
    throw new InvalidDelivery('a service delivers only its own records');
  }
  if (!isSeq(record.seq, 1)) throw new InvalidDelivery('a record seq must be a positive integer');
  if (!ISO_UTC.test(record.time) || Number.isNaN(Date.parse(record.time))) {
    throw new InvalidDelivery(`record ${record.seq}: time must be ISO 8601 UTC`);
  }
  if (!OUTCOMES.has(record.outcome)) {
    throw new InvalidDelivery(`record ${record.seq}: outcome must be ok, denied or failed`);
  }
  if (!SHA256_HEX.test(record.hash) || !SHA256_HEX.test(record.prev_hash)) {
    throw new InvalidDelivery(`record ${record.seq}: hash and prev_hash must be SHA-256 (hex)`);
  }
  return fromAuditRow(record);
}

function isSeq(value: unknown, min: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min;
}
