import { randomUUID } from 'node:crypto';
import type { Alert } from '@citadel/contracts';
import type { Kysely } from '@citadel/database';
import type { OrderDatabase } from '../orders/order.migrations.js';
import { ANOMALY_RULES, type AnomalyRule } from './anomaly.rules.js';

export interface AuditEvent {
  actor: string;
  action: string;
  target: string;
  outcome: 'ok' | 'denied' | 'failed';
  traceId?: string | undefined;
}

export interface AlertLog {
  warn(details: object, message: string): void;
}

/**
 * The order service's sensitive acts, recorded in its own database, and the anomaly
 * detector that runs on them: each recorded event is checked against the rules, and a
 * rule that matches raises one alert per window (a structured WARN log line and a row
 * admins can list).
 */
export class AuditTrail {
  constructor(
    private readonly db: Kysely<OrderDatabase>,
    private readonly log: AlertLog,
    private readonly rules: readonly AnomalyRule[] = ANOMALY_RULES,
  ) {}

  async record(event: AuditEvent): Promise<void> {
    await this.db
      .insertInto('audit_events')
      .values({
        actor: event.actor,
        action: event.action,
        target: event.target,
        outcome: event.outcome,
        trace_id: event.traceId ?? '',
      })
      .execute();
    for (const rule of this.rules.filter((candidate) => candidate.action === event.action)) {
      await this.evaluate(rule, event.actor);
    }
  }

  async alerts(): Promise<Alert[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .selectAll()
      .orderBy('raised_at', 'desc')
      .limit(200)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      rule: row.rule,
      actor: row.actor,
      raised_at: new Date(row.raised_at).toISOString(),
      detail: row.detail,
    }));
  }

  private async evaluate(rule: AnomalyRule, actor: string): Promise<void> {
    const since = new Date(Date.now() - rule.windowSeconds * 1000);
    const { count } = await this.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('actor', '=', actor)
      .where('action', '=', rule.action)
      .where('outcome', '=', 'ok')
      .where('at', '>=', since)
      .executeTakeFirstOrThrow();
    if (Number(count) < rule.threshold) return;
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
      .values({ id: randomUUID(), rule: rule.name, actor, detail })
      .execute();
    this.log.warn({ event: 'alert.raised', rule: rule.name, actor, detail }, 'security alert');
  }
}
