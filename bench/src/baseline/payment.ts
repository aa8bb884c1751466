// The baseline's payment: payment's own module and storage, served over plaintext gRPC with
// no east-west policy and no JWT guard (see plaintext.ts). Bench only.
import 'reflect-metadata';
import { loadServiceEnv, serviceEnvSchema } from '@citadel/config';
import { failStart } from '@citadel/lifecycle';
import { createLogger } from '@citadel/observability';
import {
  PAYMENT_MIGRATIONS,
  PaymentModule,
  SimulatedProvider,
  type PaymentDatabase,
} from '@citadel/payment-service';
import { runPlaintextService } from './plaintext.js';
import { openBaselineService } from './service-deps.js';

async function main() {
  const env = loadServiceEnv(serviceEnvSchema);
  const logger = createLogger('payment', env.LOG_LEVEL);
  const { db, audit, release } = await openBaselineService<PaymentDatabase>(
    'payment',
    PAYMENT_MIGRATIONS,
    env,
    logger,
  );
  await runPlaintextService({
    service: 'payment',
    module: PaymentModule.forRoot({ db, audit, log: logger, provider: new SimulatedProvider() }),
    env,
    logger,
    onClose: release,
  });
}

main().catch((error) => failStart('payment', error));
