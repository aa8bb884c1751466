export {
  chainHash,
  ChainVerifier,
  GENESIS_HASH,
  type AuditEvent,
  type AuditOutcome,
  type AuditRecord,
  type ChainBreak,
} from './audit-chain.js';
export {
  AuditLog,
  toAuditRow,
  type AuditListener,
  type AuditQuery,
  type ChainVerification,
} from './audit-log.js';
export {
  AUDIT_APPEND_ONLY_MIGRATION,
  AUDIT_LOG_MIGRATION,
  type AuditDatabase,
} from './audit.migrations.js';
export { AnomalyDetector, type Alert, type AlertLog, type AnomalyRule } from './anomaly.js';
