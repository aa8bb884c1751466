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
  issueServiceCertificate,
  openServiceVault,
  PKI_MOUNT,
  readDatabaseConfig,
  readServiceTls,
  serviceDnsName,
  type ServiceCertificate,
  type ServiceDatabaseConfig,
  type ServiceVaultSettings,
} from './service-secrets.js';
