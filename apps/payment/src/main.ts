import 'reflect-metadata';
import { runGrpcService, verifierFromAuth } from '@citadel/auth';
import { failStart, grpcAddress, loadEnv, serviceEnvSchema } from '@citadel/config';
import { createLogger } from '@citadel/observability';
import { loadServiceTls, ServiceClient } from '@citadel/transport';
import { PaymentModule } from './app.module.js';

async function main() {
  const env = loadEnv(serviceEnvSchema);
  const logger = createLogger('payment', env.LOG_LEVEL);
  const tls = loadServiceTls(env.CITADEL_HOME, 'payment');
  const auth = new ServiceClient('auth', grpcAddress(env, 'auth'), tls);
  const verifier = verifierFromAuth('payment', auth, (error) =>
    logger.warn({ event: 'jwks.refresh-failed', err: String(error) }, 'JWKS refresh failed'),
  );
  await runGrpcService({
    service: 'payment',
    module: PaymentModule,
    env,
    logger,
    verifier,
    port: env.PAYMENT_PORT,
  });
}

main().catch((error) => failStart('payment', error));
