import { randomUUID } from 'node:crypto';
import type { Kysely } from '@citadel/database';
import type { AuditRecord } from './audit-chain.js';
import type { AuditLog } from './audit-log.js';
import type { AuditDatabase } from './audit.migrations.js';

/**
 * A rule over a service's audit stream: `threshold` successful `action`s by one actor
 * within `windowSeconds` raise an alert. Rules are data: add one to the service's list.
 */
export interface AnomalyRule {
  name: string;
  action: string;
  threshold: number;
  windowSeconds: number;
  description: string;
}

export interface Alert {
  id: string;
  rule: string;
  actor: string;
  raised_at: string;
  detail: string;
}

export interface AlertLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * Runs the rules on every appended record; a rule that matches raises one alert per
 * window: a structured WARN line (`alert.raised`) and a row admins can list.
 */
export class AnomalyDetector {
  constructor(
    private readonly db: Kysely<AuditDatabase>,
    private readonly audit: AuditLog,
    private readonly rules: readonly AnomalyRule[],
    private readonly log: AlertLog,
  ) {
    audit.onAppend((record) => this.evaluate(record));
  }

  private async evaluate(record: AuditRecord): Promise<void> {
    if (record.outcome !== 'ok') return;
    for (const rule of this.rules.filter((candidate) => candidate.action === record.action)) {
      try {
        await this.apply(rule, record);
      } catch (error) {
        // Detection must never undo or fail the act it watches; a broken rule is loud instead.
        this.log.error(
          { event: 'alert.rule-failed', rule: rule.name, trace_id: record.traceId, err: error },
          'rule failed',
        );
      }
    }
  }

  /** The record that completed the pattern names the trace the alert's log line joins. */
  private async apply(rule: AnomalyRule, { actor, traceId }: AuditRecord): Promise<void> {
    const since = new Date(Date.now() - rule.windowSeconds * 1000);
    const count = await this.audit.count(actor, rule.action, since);
    if (count < rule.threshold) return;
    const already = await this.db
      .selectFrom('alerts')
      .select('id')
      .where('rule', '=', rule.name)
      .where('actor', '=', actor)
      .where('raised_at', '>=', since)
      .executeTakeFirst();
    if (already) return;
    const detail = `${rule.description} (${count} in the last ${rule.windowSeconds} s)`;
    await this.db
      .insertInto('alerts')
      .values({ id: randomUUID(), rule: rule.name, actor, detail, raised_at: new Date() })
      .execute();
    this.log.warn(
      { event: 'alert.raised', rule: rule.name, actor, detail, trace_id: traceId },
      'security alert',
    );
  }

  async alerts(limit = 200): Promise<Alert[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .selectAll()
      .orderBy('raised_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      rule: row.rule,
      actor: row.actor,
      raised_at: new Date(row.raised_at).toISOString(),
      detail: row.detail,
    }));
  }
}
