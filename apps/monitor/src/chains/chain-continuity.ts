import { chainHash, type AuditRecord } from '@citadel/audit';

/**
 * How a service's chain can fail to continue the copy the monitor holds:
 * - `rewritten`: a record the monitor already holds comes back with another hash;
 * - `re-linked`: a new record's prev_hash is not the hash of the record before it;
 * - `altered`: a new record's hash is not the hash of its own content;
 * - `gap`: records are missing between the monitor's head and the next one delivered;
 * - `truncated`: the service's newest record is older than the monitor's head (tail cut).
 */
export type BreakKind = 'rewritten' | 're-linked' | 'altered' | 'gap' | 'truncated';

export interface ChainBreakFinding {
  /** The first record the break concerns. */
  seq: number;
  kind: BreakKind;
  detail: string;
}

/** The alert each kind of break raises (the rule names listed in monitor.proto). */
export const BREAK_ALERT_RULE: Readonly<Record<BreakKind, string>> = {
  rewritten: 'chain-tampered',
  're-linked': 'chain-tampered',
  altered: 'chain-tampered',
  gap: 'chain-gap',
  truncated: 'chain-truncated',
};

/** A chain's newest record as the monitor holds it: seq 0 and the genesis hash when none. */
export interface ChainTip {
  seq: number;
  hash: string;
}

export interface Continuation {
  /** The records that extend the chain, in order: the ones to store. */
  fresh: AuditRecord[];
  /** The first record that does not continue it; nothing after it is looked at. */
  broken?: ChainBreakFinding;
}

/**
 * Follows one delivery (records in ascending seq) from the monitor's `tip`. A record the
 * monitor already holds is skipped when its hash equals the held one (`held`, seq to hash:
 * deliveries are at-least-once), and is a rewrite otherwise. A new record must be the
 * very next one, link to the tip's hash and hash to its own content: a service that edits
 * a delivered record and re-computes every hash after it still differs from the copy here.
 */
export function followChain(
  tip: ChainTip,
  records: readonly AuditRecord[],
  held: ReadonlyMap<number, string>,
): Continuation {
  const fresh: AuditRecord[] = [];
  let last = tip;
  for (const record of records) {
    if (record.seq <= tip.seq && held.get(record.seq) === record.hash) continue;
    const broken = breakAt(record, tip, last);
    if (broken) return { fresh, broken };
    fresh.push(record);
    last = record;
  }
  return { fresh };
}

/** How `record` fails to follow `last` (the chain so far; `tip`, the copy held before). */
function breakAt(
  record: AuditRecord,
  tip: ChainTip,
  last: ChainTip,
): ChainBreakFinding | undefined {
  const { seq } = record;
  if (seq <= tip.seq) {
    return {
      seq,
      kind: 'rewritten',
      detail: `record ${seq} differs from the copy the monitor holds`,
    };
  }
  if (seq !== last.seq + 1) {
    const missing = last.seq + 1;
    return {
      seq: missing,
      kind: 'gap',
      detail: `expected record ${missing}, received ${seq} (records removed)`,
    };
  }
  if (record.prevHash !== last.hash) {
    return {
      seq,
      kind: 're-linked',
      detail: `record ${seq}'s prev_hash is not the hash of record ${last.seq}`,
    };
  }
  if (chainHash(record) !== record.hash) {
    return { seq, kind: 'altered', detail: `record ${seq}'s content does not match its hash` };
  }
  return undefined;
}

/**
 * How long after a record arrived a service may still report a head below it without
 * having cut its tail: one replica's forwarder can read its table's head just before
 * another replica delivers newer records, and its heartbeat then arrives behind. A real
 * cut is still reported by the first heartbeat after this grace (heartbeats come every 5 s).
 */
export const STALE_HEAD_GRACE_MS = 5_000;

/** What the monitor holds around the head a service reports (`source_head_seq`/`_hash`). */
export interface HeldAroundSourceHead {
  /** The monitor's head after this delivery's records. */
  tipSeq: number;
  /** The hash the monitor holds for the service's reported head record, when it holds it. */
  hashAtSourceSeq?: string;
  /** When the record right after the reported head arrived, when the monitor holds it. */
  nextReceivedAt?: Date;
}

/**
 * Judges the newest record a service reports having (every delivery carries it; an idle
 * delivery, a heartbeat, carries nothing else): the same record with another hash is a
 * rewritten tail, and a head below the monitor's is a cut one, records the monitor holds
 * that the service no longer has.
 */
export function judgeSourceHead(
  source: ChainTip,
  held: HeldAroundSourceHead,
  now: Date,
): ChainBreakFinding | undefined {
  if (held.hashAtSourceSeq !== undefined && held.hashAtSourceSeq !== source.hash) {
    return {
      seq: source.seq,
      kind: 'rewritten',
      detail: `the service's newest record ${source.seq} differs from the copy the monitor holds`,
    };
  }
  const cut =
    source.seq < held.tipSeq &&
    held.nextReceivedAt !== undefined &&
    now.getTime() - held.nextReceivedAt.getTime() > STALE_HEAD_GRACE_MS;
  if (!cut) return undefined;
  return {
    seq: source.seq + 1,
    kind: 'truncated',
    detail: `the service's chain ends at record ${source.seq}, the monitor holds ${held.tipSeq} (tail removed)`,
  };
}
