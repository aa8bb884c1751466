import 'reflect-metadata';
import { AnomalyDetector, AuditLog } from '@citadel/audit';
import { runGrpcService, verifierFromAuth } from '@citadel/auth';
import { failStart, grpcAddress, loadServiceEnv, serviceEnvSchema } from '@citadel/config';
import { createLogger } from '@citadel/observability';
import { openServiceDatabase } from '@citadel/database';
import { openServiceVault, readDatabaseConfig, readServiceTls } from '@citadel/secrets';
import { ServiceClient } from '@citadel/transport';
import { OrderModule } from './app.module.js';
import { GrpcPaymentsAdapter } from './orders/grpc-payments.adapter.js';
import { ANOMALY_RULES } from './audit/anomaly.rules.js';
import { ORDER_MIGRATIONS, type OrderDatabase } from './orders/order.migrations.js';

async function main() {
  const env = loadServiceEnv(serviceEnvSchema);
  const logger = createLogger('order', env.LOG_LEVEL);
  const vault = await openServiceVault(env, 'order', logger);
  const tls = await readServiceTls(vault, 'order');
  const database = await openServiceDatabase<OrderDatabase>(
    'order',
    await readDatabaseConfig(vault, 'order', env.CITADEL_HOME),
    ORDER_MIGRATIONS,
  );
  logger.info({ event: 'database.ready', kind: database.kind }, 'order database ready');
  const audit = new AuditLog(database.db, 'order');
  const detector = new AnomalyDetector(database.db, audit, ANOMALY_RULES, logger);
  const auth = new ServiceClient('auth', grpcAddress(env, 'auth'), tls);
  const payments = new GrpcPaymentsAdapter(
    new ServiceClient('payment', grpcAddress(env, 'payment'), tls),
  );
  const verifier = verifierFromAuth('order', auth, (error) =>
    logger.warn({ event: 'jwks.refresh-failed', err: String(error) }, 'JWKS refresh failed'),
  );
  await runGrpcService({
    service: 'order',
    module: OrderModule.forRoot({
      db: database.db,
      payments,
      audit,
      detector,
      cacheReads: database.kind !== 'postgres',
    }),
    audit,
    env,
    logger,
    verifier,
    tls,
    port: env.ORDER_PORT,
    onClose: async () => {
      vault.close();
      await database.close();
    },
  });
}

main().catch((error) => failStart('order', error));
