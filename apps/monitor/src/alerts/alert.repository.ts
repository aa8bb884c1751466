import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from '@citadel/database';
import type { AlertsTable, MonitorDatabase } from '../monitor.migrations.js';
import type { AlertDraft, RaisedAlert } from './alert.js';

/** The alerts the monitor raised, append-only, in its own schema. */
export class AlertRepository {
  constructor(private readonly db: Kysely<MonitorDatabase>) {}

  /**
   * Stores `draft` unless an alert of the same rule, actor and window is stored already
   * (by this delivery, an earlier one, or another replica): the unique constraint decides,
   * so concurrent deliveries cannot raise it twice. Answers the alert when it is new.
   */
  async raise(draft: AlertDraft, raisedAt: Date): Promise<RaisedAlert | undefined> {
    const id = randomUUID();
    const inserted = await this.db
      .insertInto('alerts')
      .values({
        id,
        rule: draft.rule,
        service: draft.service,
        actor: draft.actor,
        severity: draft.severity,
        detail: draft.detail,
        trace_id: draft.traceId,
        raised_at: raisedAt,
        window_key: draft.windowKey,
      })
      .onConflict((conflict) => conflict.constraint('alerts_once_per_window').doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted && { ...draft, id, raisedAt };
  }

  /** The newest `limit` alerts, newest first. */
  async newest(limit: number): Promise<RaisedAlert[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .selectAll()
      .orderBy('raised_at', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }
}

function fromRow(row: Selectable<AlertsTable>): RaisedAlert {
  return {
    id: row.id,
    rule: row.rule,
    service: row.service,
    actor: row.actor,
    severity: row.severity,
    detail: row.detail,
    traceId: row.trace_id,
    windowKey: row.window_key,
    raisedAt: new Date(row.raised_at),
  };
}
