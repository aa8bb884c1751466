/**
 * Anomaly rules over the order service's audit stream. Rules are data: add one here and
 * the detector applies it. Seed 004's rule is the first.
 */
export interface AnomalyRule {
  name: string;
  /** The audited action the rule counts. */
  action: string;
  /** How many such actions by one actor, within the window, raise an alert. */
  threshold: number;
  windowSeconds: number;
  description: string;
}

export const ANOMALY_RULES: readonly AnomalyRule[] = [
  {
    name: 'refund-burst',
    action: 'order.refund',
    threshold: 3,
    windowSeconds: 6,
    description: 'one actor issued 3 refunds within 6 seconds',
  },
];
