// Payment's composition surface: the module `main.ts` runs and what it is built from,
// exported so a harness can compose the same handlers and storage. Running payment is
// `main.ts` (through serviceMain: mTLS, the east-west policy, the JWT guard); nothing here
// starts anything.
export { PaymentModule } from './app.module.js';
export { PAYMENT_MIGRATIONS, type PaymentDatabase } from './payments/payment.migrations.js';
export { SimulatedProvider } from './provider/simulated-provider.js';
