// Auth's composition surface: the module `main.ts` runs and what it is built from, exported
// so a harness can compose the same handlers and storage. Running auth is `main.ts` (through
// runGrpcService: mTLS, the east-west policy, the JWT guard); nothing here starts anything.
export { AuthModule, type AuthModuleDeps } from './app.module.js';
export { authEnvSchema, type AuthEnv } from './auth-env.js';
export { ApiKeyStore } from './api-keys/api-key.store.js';
export { KeyRing, type StoredSigningKey } from './signing/key-ring.js';
export { TokenStore } from './tokens/token.store.js';
export { AUTH_MIGRATIONS, type AuthDatabase } from './users/auth.migrations.js';
export { seedDemoUsers, type DemoUser } from './users/demo-users.js';
export { PasswordHasher } from './users/password-hasher.js';
export { UserRepository } from './users/user.repository.js';
