export {
  VaultSession,
  type KubernetesLogin,
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
export { DATABASE_MOUNT, databaseCredentialsPath, KV_MOUNT, secretPaths } from './secret-paths.js';
export {
  VaultDatabasePassword,
  type DatabasePasswordOptions,
  type StaticCredentials,
} from './database-password.js';
export {
  DEFAULT_K8S_TOKEN_FILE,
  issueServiceCertificate,
  openServiceVault,
  PKI_MOUNT,
  readDatabaseConfig,
  readGatewayHttps,
  serviceDnsName,
  type ServiceCertificate,
  type ServiceDatabaseConfig,
  type ServiceVaultSettings,
} from './service-secrets.js';
