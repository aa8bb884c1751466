import 'reflect-metadata';
import { serviceMain } from '@citadel/service-kit';
import { OrderModule } from './app.module.js';
import { readCatalogueFile } from './catalogue/catalogue-file.js';
import { Catalogue } from './catalogue/catalogue.js';
import { GrpcPaymentsAdapter } from './orders/grpc-payments.adapter.js';
import { ORDER_MIGRATIONS, type OrderDatabase } from './orders/order.migrations.js';

// Vault identity, mTLS, own database, audit trail and the guards: see serviceMain.
void serviceMain<OrderDatabase, 'payment'>({
  service: 'order',
  migrations: ORDER_MIGRATIONS,
  calls: ['payment'],
  // Read before anything starts: a bad catalogue file stops the service with its reason.
  prepare: async ({ env, db, audit, logger }) => {
    if (!env.ORDER_CATALOGUE_FILE) return;
    const products = readCatalogueFile(env.ORDER_CATALOGUE_FILE);
    await new Catalogue(db, audit).replaceWith(products);
    logger.info(
      { event: 'catalogue.replaced', file: env.ORDER_CATALOGUE_FILE, products: products.length },
      'catalogue replaced from ORDER_CATALOGUE_FILE',
    );
  },
  module: ({ db, audit, clients }) =>
    OrderModule.forRoot({
      db,
      audit,
      payments: new GrpcPaymentsAdapter(clients.payment),
    }),
});
