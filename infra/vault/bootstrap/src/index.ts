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
  type ServiceTlsPem,
  type VaultService,
} from './bootstrap.js';
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
  type DatabaseCredentials,
} from './database-roles.js';
