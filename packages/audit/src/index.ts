export {
  chainHash,
  ChainVerifier,
  GENESIS_HASH,
  type AuditEvent,
  type AuditOutcome,
  type AuditRecord,
  type ChainBreak,
} from './audit-chain.js';
export { detailFacts, withFacts } from './audit-facts.js';
export {
  AuditLog,
  toAuditRow,
  type AuditListener,
  type AuditQuery,
  type ChainVerification,
  type RecordAudit,
} from './audit-log.js';
export {
  appendOnlyTable,
  AUDIT_APPEND_ONLY_MIGRATION,
  AUDIT_LOG_MIGRATION,
  type AuditDatabase,
  type AuditLogTable,
} from './audit.migrations.js';
