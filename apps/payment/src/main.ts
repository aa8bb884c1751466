import 'reflect-metadata';
import { runGrpcService, verifierFromAuth } from '@citadel/auth';
import { failStart, grpcAddress, loadEnv, serviceEnvSchema } from '@citadel/config';
import { createLogger } from '@citadel/observability';
import { openServiceVault, readServiceTls } from '@citadel/secrets';
import { ServiceClient } from '@citadel/transport';
import { PaymentModule } from './app.module.js';

async function main() {
  const env = loadEnv(serviceEnvSchema);
  const logger = createLogger('payment', env.LOG_LEVEL);
  const vault = await openServiceVault(env, 'payment', logger);
  const tls = await readServiceTls(vault, 'payment');
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
    tls,
    port: env.PAYMENT_PORT,
    onClose: () => vault.close(),
  });
}

main().catch((error) => failStart('payment', error));
