import 'reflect-metadata';
import { AuditForwarder, AuditLog } from '@citadel/audit';
import { InternalJwtVerifier, JwksCache } from '@citadel/auth';
import { grpcAddress, loadServiceEnv } from '@citadel/config';
import { failStart } from '@citadel/lifecycle';
import { createLogger } from '@citadel/observability';
import { openServiceDatabase } from '@citadel/database';
import {
  openServiceVault,
  readDatabaseConfig,
  issueServiceCertificate,
  secretPaths,
  SecretsError,
} from '@citadel/secrets';
import { monitorPort, runGrpcService } from '@citadel/service-kit';
import { ServiceClient, WorkloadIdentity } from '@citadel/transport';
import { ApiKeyStore } from './api-keys/api-key.store.js';
import { AuthModule } from './app.module.js';
import { authEnvSchema } from './auth-env.js';
import { KeyRing, type StoredSigningKey } from './signing/key-ring.js';
import { TokenStore } from './tokens/token.store.js';
import { AUTH_MIGRATIONS, type AuthDatabase } from './users/auth.migrations.js';
import { seedDemoUsers, type DemoUser } from './users/demo-users.js';
import { PasswordHasher } from './users/password-hasher.js';
import { UserRepository } from './users/user.repository.js';

async function main() {
  const env = loadServiceEnv(authEnvSchema);
  const logger = createLogger('auth', env.LOG_LEVEL);
  const vault = await openServiceVault(env, 'auth', logger);
  // Its mTLS identity: issued by Vault's PKI engine now, renewed while it runs.
  const tls = await WorkloadIdentity.start({
    service: 'auth',
    logger,
    issue: () => issueServiceCertificate(vault, 'auth'),
  });

  // The signing keys live in Vault; a new version (npm run rotate-keys) is adopted live.
  const signing = await vault.read<{ keys: StoredSigningKey[] }>(secretPaths.jwtSigningKeys);
  const keyRing = await KeyRing.load(signing.data.keys);
  vault.watch<{ keys: StoredSigningKey[] }>(
    secretPaths.jwtSigningKeys,
    signing.version,
    async (next) => {
      for (const kid of await keyRing.adopt(next.data.keys)) {
        logger.info(
          { event: 'signing-key.published', kid, version: next.version },
          'new JWT signing key published; it signs after the publish lead time',
        );
      }
    },
  );

  const demoUsers = await optional(vault.read<{ users: DemoUser[] }>(secretPaths.demoUsers));
  const database = await openServiceDatabase<AuthDatabase>(
    'auth',
    await readDatabaseConfig(vault, 'auth', env.CITADEL_HOME, logger),
    AUTH_MIGRATIONS,
  );
  logger.info({ event: 'database.ready', kind: database.kind }, 'auth database ready');
  const users = new UserRepository(database.db);
  const hasher = new PasswordHasher({
    running: env.AUTH_PASSWORD_CHECKS_RUNNING,
    waiting: env.AUTH_PASSWORD_CHECKS_WAITING,
  });
  if (demoUsers) {
    const count = await seedDemoUsers(demoUsers.data.users, users, hasher);
    logger.info({ event: 'demo-users.seeded', count }, 'demo users seeded (local mode)');
  }

  const audit = new AuditLog(database.db, 'auth');
  // Auth verifies the JWTs addressed to it against its own public keys, like any service.
  const verifier = new InternalJwtVerifier('auth', new JwksCache(async () => keyRing.jwks()));
  // Auth starts without serviceMain (it signs the JWTs serviceMain's verifier fetches), so
  // it ships its audit trail to the monitor itself, as serviceMain does for the others.
  const monitor = new ServiceClient('monitor', grpcAddress(env, 'monitor'), tls);
  const forwarder = new AuditForwarder(audit, monitorPort(monitor), logger);
  await runGrpcService({
    service: 'auth',
    module: AuthModule.forRoot({
      keyRing,
      users,
      tokens: new TokenStore(database.db),
      hasher,
      apiKeys: new ApiKeyStore(database.db),
      audit,
    }),
    audit,
    env,
    logger,
    verifier,
    tls,
    port: env.AUTH_PORT,
    onClose: async () => {
      // The forwarder reads the database and calls the monitor: it stops before either closes.
      await forwarder.stop();
      monitor.close();
      tls.stop();
      vault.close();
      await database.close();
    },
  });
  forwarder.start();
}

/** A secret that only local mode has: absent (404) means "not this deployment". */
async function optional<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof SecretsError && error.status === 404) return undefined;
    throw error;
  }
}

main().catch((error) => failStart('auth', error));
