import { Injectable } from '@nestjs/common';
import type { Alert } from '@citadel/contracts';
import type { RaisedAlert } from './alert.js';
import { AlertRepository } from './alert.repository.js';

const DEFAULT_LIMIT = 200;
const MAX_LIMIT = 1_000;

/** The alerts, as admins read them (ListAlerts). */
@Injectable()
export class AlertService {
  constructor(private readonly alerts: AlertRepository) {}

  /** The newest alerts first; `limit` 0 means 200, and no answer holds more than 1000. */
  async newest(limit: number): Promise<Alert[]> {
    const bounded = Math.min(Math.max(Math.trunc(limit) || DEFAULT_LIMIT, 1), MAX_LIMIT);
    return (await this.alerts.newest(bounded)).map(toAlertMessage);
  }
}

export function toAlertMessage(alert: RaisedAlert): Alert {
  return {
    id: alert.id,
    rule: alert.rule,
    service: alert.service,
    actor: alert.actor,
    raised_at: alert.raisedAt.toISOString(),
    detail: alert.detail,
    severity: alert.severity,
    trace_id: alert.traceId,
  };
}
