import type { AnomalyRule } from './anomaly-rule.js';

/**
 * What the monitor raises alerts for, over the records every service delivers. Edit here;
 * each rule is evaluated for each record it matches, in the window ending at that record's
 * time, and raises at most one alert per key per window.
 */
export const ANOMALY_RULES: readonly AnomalyRule[] = [
  {
    name: 'refund-burst',
    severity: 'critical',
    description: 'refunds in a burst by one actor',
    action: 'payment.refund',
    outcome: 'ok',
    by: 'actor',
    measure: 'records',
    threshold: 3,
    windowSeconds: 6,
  },
  {
    name: 'refund-rate',
    severity: 'warning',
    description: 'refunds at a sustained rate by one actor',
    action: 'payment.refund',
    outcome: 'ok',
    by: 'actor',
    measure: 'records',
    threshold: 20,
    windowSeconds: 3_600,
  },
  {
    name: 'refund-total',
    severity: 'critical',
    description: 'amount refunded by one actor in a day',
    action: 'payment.refund',
    outcome: 'ok',
    by: 'actor',
    measure: 'amount_cents',
    threshold: 50_000,
    windowSeconds: 86_400,
  },
  {
    name: 'denial-burst',
    severity: 'warning',
    description: 'requests denied to one user',
    outcome: 'denied',
    by: 'actor',
    except: ['anonymous'],
    measure: 'records',
    threshold: 10,
    windowSeconds: 60,
  },
  {
    name: 'login-burst',
    severity: 'critical',
    description: 'logins to many accounts from one address (credential stuffing)',
    action: 'auth.login',
    by: 'client_ip',
    measure: 'distinct_targets',
    threshold: 5,
    windowSeconds: 60,
  },
];
