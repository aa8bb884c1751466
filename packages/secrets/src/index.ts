export {
  VaultSession,
  type Secret,
  type SecretsLogger,
  type VaultSessionOptions,
} from './vault-session.js';
export { SecretsError, secretsError } from './secrets-error.js';
export {
  appRoleDir,
  readAppRoleCredentials,
  type AppRoleCredentials,
} from './approle-credentials.js';
export { KV_MOUNT, secretPaths } from './secret-paths.js';
export {
  openServiceVault,
  readDatabaseConfig,
  readServiceTls,
  type ServiceDatabaseConfig,
  type ServiceVaultSettings,
} from './service-secrets.js';
