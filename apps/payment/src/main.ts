import 'reflect-metadata';
import { serviceMain } from '@citadel/service-kit';
import { PaymentModule } from './app.module.js';
import { PAYMENT_MIGRATIONS, type PaymentDatabase } from './payments/payment.migrations.js';
import { SimulatedProvider } from './provider/simulated-provider.js';

// Vault identity, mTLS, own database, audit trail and the guards: see serviceMain.
void serviceMain<PaymentDatabase>({
  service: 'payment',
  migrations: PAYMENT_MIGRATIONS,
  module: ({ db, audit, logger }) =>
    PaymentModule.forRoot({ db, audit, log: logger, provider: new SimulatedProvider() }),
});
