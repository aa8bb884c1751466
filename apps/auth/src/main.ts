import 'reflect-metadata';
import { z } from 'zod';
import { InternalJwtVerifier, JwksCache, runGrpcService } from '@citadel/auth';
import { failStart, loadEnv, serviceEnvSchema } from '@citadel/config';
import { createLogger } from '@citadel/observability';
import { AuthModule } from './app.module.js';
import { KeyRing } from './signing/key-ring.js';
import { InMemoryTokenStore } from './tokens/token.store.js';
import { seedDemoUsers } from './users/demo-users.js';
import { PasswordHasher } from './users/password-hasher.js';
import { InMemoryUserRepository } from './users/user.repository.js';

const envSchema = serviceEnvSchema.extend({
  /** Local mode: the launcher's demo-users file. Unset in any real deployment. */
  CITADEL_DEMO_USERS: z.string().optional(),
});

async function main() {
  const env = loadEnv(envSchema);
  const logger = createLogger('auth', env.LOG_LEVEL);
  const keyRing = await KeyRing.create();
  const users = new InMemoryUserRepository();
  const hasher = new PasswordHasher();
  if (env.CITADEL_DEMO_USERS) {
    const count = await seedDemoUsers(env.CITADEL_DEMO_USERS, users, hasher);
    logger.info({ event: 'demo-users.seeded', count }, 'demo users seeded (local mode)');
  }
  // Auth verifies the JWTs addressed to it against its own public keys, like any service.
  const verifier = new InternalJwtVerifier('auth', new JwksCache(async () => keyRing.jwks()));
  await runGrpcService({
    service: 'auth',
    module: AuthModule.forRoot({ keyRing, users, tokens: new InMemoryTokenStore(), hasher }),
    env,
    logger,
    verifier,
    port: env.AUTH_PORT,
  });
}

main().catch((error) => failStart('auth', error));
