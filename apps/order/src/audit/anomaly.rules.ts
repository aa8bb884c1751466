import type { AnomalyRule } from '@citadel/audit';

/**
 * Anomaly rules over the order service's audit stream. Rules are data: add one here and
 * the detector applies it. Seed 004's rule is the first.
 */
export const ANOMALY_RULES: readonly AnomalyRule[] = [
  {
    name: 'refund-burst',
    action: 'order.refund',
    threshold: 3,
    windowSeconds: 6,
    description: 'one actor issued 3 refunds within 6 seconds',
  },
];
