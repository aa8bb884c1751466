import { Module, type DynamicModule } from '@nestjs/common';
import { Catalogue } from './catalogue/catalogue.js';
import { OrdersController } from './orders.controller.js';
import { InMemoryOrderRepository, OrderRepository } from './orders/order.repository.js';
import { OrderService } from './orders/order.service.js';
import { PaymentsPort } from './orders/payments.port.js';

@Module({})
export class OrderModule {
  static forRoot(payments: PaymentsPort): DynamicModule {
    return {
      module: OrderModule,
      controllers: [OrdersController],
      providers: [
        OrderService,
        Catalogue,
        { provide: OrderRepository, useClass: InMemoryOrderRepository },
        { provide: PaymentsPort, useValue: payments },
      ],
    };
  }
}
