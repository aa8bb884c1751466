import { sql, type Kysely } from '@citadel/database';
import type { AlertDraft } from '../alerts/alert.js';
import type { MonitorDatabase } from '../monitor.migrations.js';
import type { AnomalyRule } from './anomaly-rule.js';
import type { ReceivedRecord } from './record-facts.js';

/** bigint and numeric aggregates arrive as text from PostgreSQL. */
const MEASURES = {
  records: sql<string>`count(*)`,
  amount_cents: sql<string>`coalesce(sum(amount_cents), 0)`,
  distinct_targets: sql<string>`count(distinct target)`,
} satisfies Record<AnomalyRule['measure'], unknown>;

const UNITS: Readonly<Record<AnomalyRule['measure'], string>> = {
  records: 'records',
  amount_cents: 'cents',
  distinct_targets: 'distinct targets',
};

/**
 * Evaluates the anomaly rules for one stored record, inside the delivery's transaction:
 * for each rule the record matches, one SQL aggregate over the monitor's copy of every
 * service's records in the rule's window ending at the record's time. Records of the same
 * delivery after this one are left out (they are stored already, and judged in their turn),
 * so an alert names the record that completed the pattern.
 */
export class RulesEngine {
  constructor(private readonly rules: readonly AnomalyRule[]) {}

  async evaluate(db: Kysely<MonitorDatabase>, record: ReceivedRecord): Promise<AlertDraft[]> {
    const drafts: AlertDraft[] = [];
    for (const rule of this.rules) {
      const key = keyOf(rule, record);
      if (key === undefined) continue;
      const value = await measure(db, rule, key, record);
      if (value >= rule.threshold) drafts.push(draftOf(rule, key, value, record));
    }
    return drafts;
  }
}

/** The record's key under `rule`, or undefined when the rule does not apply to it. */
function keyOf(rule: AnomalyRule, record: ReceivedRecord): string | undefined {
  if (rule.action !== undefined && record.action !== rule.action) return undefined;
  if (rule.outcome !== undefined && record.outcome !== rule.outcome) return undefined;
  const key = rule.by === 'actor' ? record.actor : record.clientIp;
  if (key === null || key === '' || rule.except?.includes(key)) return undefined;
  return key;
}

async function measure(
  db: Kysely<MonitorDatabase>,
  rule: AnomalyRule,
  key: string,
  record: ReceivedRecord,
): Promise<number> {
  const since = new Date(Date.parse(record.time) - rule.windowSeconds * 1000).toISOString();
  let query = db
    .selectFrom('received_records')
    .where(rule.by, '=', key)
    .where('time', '>', since)
    .where('time', '<=', record.time)
    .where((eb) => eb.or([eb('service', '<>', record.service), eb('seq', '<=', record.seq)]));
  if (rule.action !== undefined) query = query.where('action', '=', rule.action);
  if (rule.outcome !== undefined) query = query.where('outcome', '=', rule.outcome);
  const { value } = await query
    .select(MEASURES[rule.measure].as('value'))
    .executeTakeFirstOrThrow();
  return Number(value);
}

function draftOf(
  rule: AnomalyRule,
  key: string,
  value: number,
  record: ReceivedRecord,
): AlertDraft {
  const windowMs = rule.windowSeconds * 1000;
  const windowStart = Math.floor(Date.parse(record.time) / windowMs) * windowMs;
  return {
    rule: rule.name,
    service: record.service,
    actor: rule.by === 'actor' ? key : `address:${key}`,
    severity: rule.severity,
    detail: `${rule.description} (${key}): ${value} ${UNITS[rule.measure]} within ${rule.windowSeconds} s, threshold ${rule.threshold}`,
    traceId: record.traceId,
    // Windows are fixed periods of record time: a pattern that goes on raises one alert per period.
    windowKey: new Date(windowStart).toISOString(),
  };
}
