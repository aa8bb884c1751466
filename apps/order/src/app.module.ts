import { Module, type DynamicModule } from '@nestjs/common';
import type { Kysely } from '@citadel/database';
import { AuditLog } from '@citadel/audit';
import { Catalogue } from './catalogue/catalogue.js';
import { OrdersController } from './orders.controller.js';
import type { OrderDatabase } from './orders/order.migrations.js';
import { OrderRepository } from './orders/order.repository.js';
import { OrderService } from './orders/order.service.js';
import { PaymentsPort } from './orders/payments.port.js';

@Module({})
export class OrderModule {
  static forRoot(deps: {
    db: Kysely<OrderDatabase>;
    payments: PaymentsPort;
    audit: AuditLog;
  }): DynamicModule {
    return {
      module: OrderModule,
      controllers: [OrdersController],
      providers: [
        OrderService,
        { provide: Catalogue, useValue: new Catalogue(deps.db, deps.audit) },
        { provide: OrderRepository, useValue: new OrderRepository(deps.db) },
        { provide: PaymentsPort, useValue: deps.payments },
        { provide: AuditLog, useValue: deps.audit },
      ],
    };
  }
}
