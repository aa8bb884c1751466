import { Module, type DynamicModule } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthController } from './auth/auth.controller.js';
import { CustomersController } from './customers/customers.controller.js';
import { DocsController, OpenApiDocument } from './docs/docs.controller.js';
import { AUTH_CLIENT, ORDER_CLIENT, type ServiceClient } from './downstream.js';
import { HealthController } from './health/health.controller.js';
import { OrdersController } from './orders/orders.controller.js';
import { ProductsController } from './products/products.controller.js';
import { BearerStrategy } from './session/bearer.strategy.js';
import { PermissionGuard } from './session/permission.guard.js';
import { TokenExchange } from './session/token-exchange.js';
import { AlertsController } from './admin/alerts.controller.js';
import { LoginThrottle, type LoginThrottleSettings } from './auth/login-throttle.js';

@Module({})
export class GatewayModule {
  static forRoot(
    clients: { auth: ServiceClient; order: ServiceClient },
    login: LoginThrottleSettings,
  ): DynamicModule {
    return {
      module: GatewayModule,
      imports: [PassportModule.register({ session: false })],
      controllers: [
        AuthController,
        AlertsController,
        ProductsController,
        OrdersController,
        CustomersController,
        HealthController,
        DocsController,
      ],
      providers: [
        { provide: AUTH_CLIENT, useValue: clients.auth },
        { provide: ORDER_CLIENT, useValue: clients.order },
        TokenExchange,
        { provide: LoginThrottle, useValue: new LoginThrottle(login) },
        BearerStrategy,
        PermissionGuard,
        OpenApiDocument,
      ],
    };
  }
}
