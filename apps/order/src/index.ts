// Order's composition surface: the module `main.ts` runs and what it is built from, exported
// so a harness can compose the same handlers and storage. Running order is `main.ts` (through
// serviceMain: mTLS, the east-west policy, the JWT guard); nothing here starts anything.
export { OrderModule } from './app.module.js';
export { ORDER_MIGRATIONS, type OrderDatabase } from './orders/order.migrations.js';
export { PaymentsPort } from './orders/payments.port.js';
