import type { AuditOutcome } from '@citadel/audit';

/**
 * One anomaly rule: in the window of `windowSeconds` of record time ending at a record
 * that matches, the matching records of every service's stream with the same key measure
 * at least `threshold`. Rules are data (anomaly.rules.ts); the engine (rules-engine.ts)
 * turns each into one SQL aggregate over the monitor's copy of the records.
 */
export interface AnomalyRule {
  /** The alert's rule name, e.g. `refund-burst`. */
  name: string;
  severity: 'warning' | 'critical';
  /** What the pattern is, for the alert's detail. */
  description: string;
  /** The action that counts (`payment.refund`); any action when absent. */
  action?: string;
  /** The outcome that counts; any outcome when absent. */
  outcome?: AuditOutcome;
  /**
   * Whose pattern it is: the record's actor, or the client address among its detail
   * facts (`client_ip=…`, see detailFacts in @citadel/audit).
   */
  by: 'actor' | 'client_ip';
  /** Keys never judged, e.g. `anonymous`: denials with no user behind them are no one's. */
  except?: readonly string[];
  /** Matching records counted, their `amount_cents` facts summed, or their distinct targets. */
  measure: 'records' | 'amount_cents' | 'distinct_targets';
  threshold: number;
  windowSeconds: number;
}
