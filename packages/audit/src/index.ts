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
  fromAuditRow,
  toAuditRow,
  type AuditListener,
  type AuditQuery,
  type ChainPosition,
  type ChainVerification,
  MAX_HASHES,
  type RecordAudit,
} from './audit-log.js';
export {
  appendOnlyTable,
  AUDIT_APPEND_ONLY_MIGRATION,
  AUDIT_LOG_MIGRATION,
  type AuditDatabase,
  type AuditLogTable,
} from './audit.migrations.js';
export {
  AuditForwarder,
  DELIVERY_PAGE,
  type DeliveredRecord,
  type Delivery,
  type ForwarderLog,
  type ForwarderTiming,
  type MonitorPort,
} from './forwarder.js';
