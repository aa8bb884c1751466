import { detailFacts, type AuditRecord } from '@citadel/audit';

/** The facts of a record's detail the rules aggregate, stored in columns of their own. */
export interface RecordFacts {
  amountCents: number | null;
  clientIp: string | null;
}

/** A delivered record with its facts read. */
export interface ReceivedRecord extends AuditRecord, RecordFacts {}

const AMOUNT = /^\d{1,15}$/;
const ADDRESS = /^[0-9A-Za-z.:%_-]{1,64}$/;

/**
 * Reads `amount_cents` and `client_ip` from the record's detail (`key=value` facts, see
 * detailFacts). A fact that is not what its name says (a negative or fractional amount,
 * an address with spaces) is left out rather than guessed at.
 */
export function receivedRecord(record: AuditRecord): ReceivedRecord {
  const facts = detailFacts(record.detail);
  const amount = facts['amount_cents'];
  const address = facts['client_ip'];
  return {
    ...record,
    amountCents: amount !== undefined && AMOUNT.test(amount) ? Number(amount) : null,
    clientIp: address !== undefined && ADDRESS.test(address) ? address : null,
  };
}
