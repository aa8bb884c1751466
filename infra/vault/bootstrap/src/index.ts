export {
  bootstrapVault,
  rotateSigningKeys,
  POLICY_DIR,
  VAULT_SERVICES,
  type BootstrapOptions,
  type BootstrapReport,
  type ServiceTlsPem,
  type VaultService,
} from './bootstrap.js';
export { newSigningKey, type SigningKeysSecret, type StoredSigningKey } from './signing-keys.js';
