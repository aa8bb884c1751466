import 'reflect-metadata';
import { AuditLog } from '@citadel/audit';
import { runGrpcService, verifierFromAuth } from '@citadel/auth';
import { failStart, grpcAddress, loadServiceEnv, serviceEnvSchema } from '@citadel/config';
import { createLogger } from '@citadel/observability';
import { openServiceDatabase } from '@citadel/database';
import { openServiceVault, readDatabaseConfig, readServiceTls } from '@citadel/secrets';
import { ServiceClient } from '@citadel/transport';
import { PaymentModule } from './app.module.js';
import { PAYMENT_MIGRATIONS, type PaymentDatabase } from './payments/payment.migrations.js';
import { SimulatedProvider } from './provider/simulated-provider.js';

async function main() {
  const env = loadServiceEnv(serviceEnvSchema);
  const logger = createLogger('payment', env.LOG_LEVEL);
  const vault = await openServiceVault(env, 'payment', logger);
  const tls = await readServiceTls(vault, 'payment');
  const database = await openServiceDatabase<PaymentDatabase>(
    'payment',
    await readDatabaseConfig(vault, 'payment', env.CITADEL_HOME),
    PAYMENT_MIGRATIONS,
  );
  logger.info({ event: 'database.ready', kind: database.kind }, 'payment database ready');
  const audit = new AuditLog(database.db, 'payment');
  const auth = new ServiceClient('auth', grpcAddress(env, 'auth'), tls);
  const verifier = verifierFromAuth('payment', auth, (error) =>
    logger.warn({ event: 'jwks.refresh-failed', err: String(error) }, 'JWKS refresh failed'),
  );
  await runGrpcService({
    service: 'payment',
    module: PaymentModule.forRoot({
      db: database.db,
      provider: new SimulatedProvider(),
      log: logger,
      audit,
    }),
    audit,
    env,
    logger,
    verifier,
    tls,
    port: env.PAYMENT_PORT,
    onClose: async () => {
      vault.close();
      await database.close();
    },
  });
}

main().catch((error) => failStart('payment', error));
