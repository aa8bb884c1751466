// The baseline's order: order's own module and storage, served over plaintext gRPC with no
// east-west policy and no JWT guard, calling payment over plaintext (see plaintext.ts).
// Bench only.
import 'reflect-metadata';
import { grpcAddress, loadServiceEnv, serviceEnvSchema } from '@citadel/config';
import { failStart } from '@citadel/lifecycle';
import type { ChargeRequest } from '@citadel/contracts';
import { createLogger } from '@citadel/observability';
import {
  ORDER_MIGRATIONS,
  OrderModule,
  PaymentsPort,
  type OrderDatabase,
} from '@citadel/order-service';
import type { CallOptions } from '@citadel/transport';
import { PlaintextClient, runPlaintextService } from './plaintext.js';
import { openBaselineService } from './service-deps.js';

/** Order's payments port over the plaintext client: the product's is GrpcPaymentsAdapter. */
class PlaintextPayments extends PaymentsPort {
  constructor(private readonly client: PlaintextClient<'payment'>) {
    super();
  }
  charge(request: ChargeRequest, options: CallOptions) {
    return this.client.rpc.charge(request, options);
  }
  refund(paymentId: string, reason: string, options: CallOptions) {
    return this.client.rpc.refund({ payment_id: paymentId, reason }, options);
  }
}

async function main() {
  const env = loadServiceEnv(serviceEnvSchema);
  const logger = createLogger('order', env.LOG_LEVEL);
  const { db, audit, release } = await openBaselineService<OrderDatabase>(
    'order',
    ORDER_MIGRATIONS,
    env,
    logger,
  );
  const payment = new PlaintextClient('payment', grpcAddress(env, 'payment'), 'order');
  await runPlaintextService({
    service: 'order',
    module: OrderModule.forRoot({
      db,
      audit,
      payments: new PlaintextPayments(payment),
    }),
    env,
    logger,
    onClose: async () => {
      payment.close();
      await release();
    },
  });
}

main().catch((error) => failStart('order', error));
