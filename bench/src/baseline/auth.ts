// The baseline's auth: auth's own module, signing keys and storage, served over plaintext
// gRPC with no east-west policy and no JWT guard (see plaintext.ts). Bench only. Its
// login is the product's: argon2id, the same bounds, opaque tokens stored the same way.
import 'reflect-metadata';
import {
  ApiKeyStore,
  AUTH_MIGRATIONS,
  authEnvSchema,
  AuthModule,
  KeyRing,
  PasswordHasher,
  seedDemoUsers,
  TokenStore,
  UserRepository,
  type AuthDatabase,
  type DemoUser,
  type StoredSigningKey,
} from '@citadel/auth-service';
import { loadServiceEnv } from '@citadel/config';
import { failStart } from '@citadel/lifecycle';
import { createLogger } from '@citadel/observability';
import { secretPaths } from '@citadel/secrets';
import { runPlaintextService } from './plaintext.js';
import { openBaselineService } from './service-deps.js';

async function main() {
  const env = loadServiceEnv(authEnvSchema);
  const logger = createLogger('auth', env.LOG_LEVEL);
  const { vault, db, audit, release } = await openBaselineService<AuthDatabase>(
    'auth',
    AUTH_MIGRATIONS,
    env,
    logger,
  );
  const signing = await vault.read<{ keys: StoredSigningKey[] }>(secretPaths.jwtSigningKeys);
  const keyRing = await KeyRing.load(signing.data.keys);
  const users = new UserRepository(db);
  const hasher = new PasswordHasher({
    running: env.AUTH_PASSWORD_CHECKS_RUNNING,
    waiting: env.AUTH_PASSWORD_CHECKS_WAITING,
  });
  // The bench boots in local mode, which always has demo users: they are what it logs in.
  const demo = await vault.read<{ users: DemoUser[] }>(secretPaths.demoUsers);
  await seedDemoUsers(demo.data.users, users, hasher);
  await runPlaintextService({
    service: 'auth',
    module: AuthModule.forRoot({
      keyRing,
      users,
      tokens: new TokenStore(db),
      hasher,
      apiKeys: new ApiKeyStore(db),
      audit,
    }),
    env,
    logger,
    onClose: release,
  });
}

main().catch((error) => failStart('auth', error));
