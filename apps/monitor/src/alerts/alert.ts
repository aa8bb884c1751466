/** An alert about to be raised: what fired, about whom, and the window it belongs to. */
export interface AlertDraft {
  /** The rule that fired (anomaly.rules.ts), or the chain check (`chain-tampered`…). */
  rule: string;
  /** The service whose stream raised it. */
  service: string;
  /** Whom it is about: a user id, `address:<client ip>`, or `service:<name>`. */
  actor: string;
  severity: 'warning' | 'critical';
  detail: string;
  /** The trace of the record that completed the pattern ('' when it had none). */
  traceId: string;
  /** The rule's window the alert stands for: at most one alert per rule, actor and window. */
  windowKey: string;
}

/** An alert the monitor stored. */
export interface RaisedAlert extends AlertDraft {
  id: string;
  raisedAt: Date;
}
