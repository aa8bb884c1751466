import { Module, type DynamicModule } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthController } from './auth/auth.controller.js';
import { CustomersController } from './customers/customers.controller.js';
import { DocsController, OpenApiDocument } from './docs/docs.controller.js';
import { ReferencePage } from './docs/reference-page.js';
import {
  AUTH_CLIENT,
  MONITOR_CLIENT,
  ORDER_CLIENT,
  type AuthClient,
  type MonitorClient,
  type OrderClient,
} from './downstream.js';
import { HealthController } from './health/health.controller.js';
import { OrdersController } from './orders/orders.controller.js';
import { ProductsController } from './products/products.controller.js';
import { BearerStrategy } from './session/bearer.strategy.js';
import { PermissionGuard } from './session/permission.guard.js';
import { TokenExchange } from './session/token-exchange.js';
import { AlertsController } from './admin/alerts.controller.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { ApiKeysController } from './api-keys/api-keys.controller.js';
import { AuditController } from './admin/audit.controller.js';
import { EDGE_LOG, EdgeAudit } from './edge/edge-audit.js';
import { RateLimits } from './edge/rate-limits.js';
import { BearerAuthGuard } from './session/bearer-auth.guard.js';
import type { Logger } from '@citadel/observability';

@Module({})
export class GatewayModule {
  /** `clients`: main.ts gives the long-lived mTLS clients (ServiceClient). */
  static forRoot(
    clients: { auth: AuthClient; order: OrderClient; monitor: MonitorClient },
    edge: { loginThrottle: LoginThrottle; rateLimits: RateLimits; log: Logger },
  ): DynamicModule {
    return {
      module: GatewayModule,
      imports: [PassportModule.register({ session: false })],
      controllers: [
        AuthController,
        AlertsController,
        AuditController,
        ApiKeysController,
        ProductsController,
        OrdersController,
        CustomersController,
        HealthController,
        DocsController,
      ],
      providers: [
        { provide: AUTH_CLIENT, useValue: clients.auth },
        { provide: ORDER_CLIENT, useValue: clients.order },
        { provide: MONITOR_CLIENT, useValue: clients.monitor },
        TokenExchange,
        { provide: LoginThrottle, useValue: edge.loginThrottle },
        { provide: RateLimits, useValue: edge.rateLimits },
        { provide: EDGE_LOG, useValue: edge.log },
        EdgeAudit,
        BearerStrategy,
        BearerAuthGuard,
        PermissionGuard,
        OpenApiDocument,
        ReferencePage,
      ],
    };
  }
}
