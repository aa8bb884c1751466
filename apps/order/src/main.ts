import 'reflect-metadata';
import { runGrpcService, verifierFromAuth } from '@citadel/auth';
import { failStart, grpcAddress, loadEnv, serviceEnvSchema } from '@citadel/config';
import { createLogger } from '@citadel/observability';
import { openServiceVault, readServiceTls } from '@citadel/secrets';
import { ServiceClient } from '@citadel/transport';
import { OrderModule } from './app.module.js';
import { GrpcPaymentsAdapter } from './orders/grpc-payments.adapter.js';

async function main() {
  const env = loadEnv(serviceEnvSchema);
  const logger = createLogger('order', env.LOG_LEVEL);
  const vault = await openServiceVault(env, 'order', logger);
  const tls = await readServiceTls(vault, 'order');
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
    tls,
    port: env.ORDER_PORT,
    onClose: () => vault.close(),
  });
}

main().catch((error) => failStart('order', error));
