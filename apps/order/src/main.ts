import 'reflect-metadata';
import { runGrpcService, verifierFromAuth } from '@citadel/auth';
import { failStart, grpcAddress, loadEnv, serviceEnvSchema } from '@citadel/config';
import { createLogger } from '@citadel/observability';
import { loadServiceTls, ServiceClient } from '@citadel/transport';
import { OrderModule } from './app.module.js';
import { GrpcPaymentsAdapter } from './orders/grpc-payments.adapter.js';

async function main() {
  const env = loadEnv(serviceEnvSchema);
  const logger = createLogger('order', env.LOG_LEVEL);
  const tls = loadServiceTls(env.CITADEL_HOME, 'order');
  const auth = new ServiceClient('auth', grpcAddress(env, 'auth'), tls);
  const payments = new GrpcPaymentsAdapter(
    new ServiceClient('payment', grpcAddress(env, 'payment'), tls),
  );
  const verifier = verifierFromAuth('order', auth, (error) =>
    logger.warn({ event: 'jwks.refresh-failed', err: String(error) }, 'JWKS refresh failed'),
  );
  await runGrpcService({
    service: 'order',
    module: OrderModule.forRoot(payments),
    env,
    logger,
    verifier,
    port: env.ORDER_PORT,
  });
}

main().catch((error) => failStart('order', error));
