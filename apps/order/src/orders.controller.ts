import { Controller } from '@nestjs/common';
import { GrpcMethod, Payload } from '@nestjs/microservices';
import { PublicMethod, RequirePermission } from '@citadel/auth';
import type { CreateOrderRequest, OrderIdRequest, SetPriceRequest } from '@citadel/contracts';
import { activeTraceId } from '@citadel/observability';
import { type CallContext, CurrentCall } from '@citadel/transport';
import { Catalogue } from './catalogue/catalogue.js';
import { OrderService } from './orders/order.service.js';

/** gRPC transport for orders and the catalogue. The guards have checked caller and user. */
@Controller()
export class OrdersController {
  constructor(
    private readonly orders: OrderService,
    private readonly catalogue: Catalogue,
  ) {}

  @GrpcMethod('OrderService', 'ListProducts')
  @PublicMethod()
  async listProducts() {
    return { products: await this.catalogue.list() };
  }

  @GrpcMethod('OrderService', 'SetPrice')
  @RequirePermission('products:price:write')
  setPrice(@Payload() request: SetPriceRequest, @CurrentCall() call: CallContext) {
    return this.catalogue.setPrice(request.sku, request.price_cents, {
      actor: call.user!.id,
      traceId: activeTraceId(),
    });
  }

  @GrpcMethod('OrderService', 'CreateOrder')
  @RequirePermission('orders:create')
  create(@Payload() request: CreateOrderRequest, @CurrentCall() call: CallContext) {
    return this.orders.create(call, request);
  }

  @GrpcMethod('OrderService', 'GetOrder')
  get(@Payload() request: OrderIdRequest, @CurrentCall() call: CallContext) {
    return this.orders.get(call, request.id);
  }

  @GrpcMethod('OrderService', 'ListOrders')
  async list(@Payload() _request: unknown, @CurrentCall() call: CallContext) {
    return { orders: await this.orders.list(call.user!) };
  }

  @GrpcMethod('OrderService', 'CancelOrder')
  cancel(@Payload() request: OrderIdRequest, @CurrentCall() call: CallContext) {
    return this.orders.cancel(call, request.id);
  }

  @GrpcMethod('OrderService', 'RefundOrder')
  @RequirePermission('orders:refund')
  refund(@Payload() request: OrderIdRequest, @CurrentCall() call: CallContext) {
    return this.orders.refund(call, request.id);
  }
}
