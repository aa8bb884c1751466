export {
  APPROLE_DEFAULTS,
  bootstrapVault,
  deliverAppRoleCredentials,
  rotateSigningKeys,
  POLICY_DIR,
  VAULT_SERVICES,
  type AppRoleSettings,
  type BootstrapOptions,
  type BootstrapReport,
  type EdgeTlsPem,
  type VaultService,
} from './bootstrap.js';
export {
  ensureWorkloadPki,
  OPERATOR_IDENTITIES,
  WORKLOAD_PKI_DEFAULTS,
  workloadRole,
  type WorkloadPkiSettings,
} from './workload-pki.js';
export {
  AUDIT_DEFAULTS,
  AuditDeviceError,
  ensureAuditDevice,
  type AuditDeviceSettings,
} from './audit-device.js';
export { newSigningKey, type SigningKeysSecret, type StoredSigningKey } from './signing-keys.js';
export {
  provisionServiceRoles,
  roleName,
  DATA_SERVICES,
  type DatabaseLogin,
} from './database-roles.js';
export {
  DATABASE_CONNECTION,
  DATABASE_ROTATION_DEFAULT,
  ensureDatabaseEngine,
  vaultConnection,
  type DatabaseEngineSettings,
} from './database-engine.js';
