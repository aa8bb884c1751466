import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { PublicMethod, RequirePermission } from '@citadel/auth';
import type {
  CancelOrderRequest,
  CreateOrderRequest,
  GetOrderRequest,
  ListOrdersRequest,
  RefundOrderRequest,
  SetPriceRequest,
} from '@citadel/contracts';
import { activeTraceId } from '@citadel/observability';
import { ContractMethod, CurrentCall, type CallContext } from '@citadel/transport';
import { Catalogue } from './catalogue/catalogue.js';
import { OrderService } from './orders/order.service.js';

/** gRPC transport for orders and the catalogue. The guards have checked caller and user. */
@Controller()
export class OrdersController {
  constructor(
    private readonly orders: OrderService,
    private readonly catalogue: Catalogue,
  ) {}

  @ContractMethod('order')
  @PublicMethod()
  async listProducts() {
    return { products: await this.catalogue.list() };
  }

  @ContractMethod('order')
  @RequirePermission('products:price:write')
  setPrice(@Payload() request: SetPriceRequest, @CurrentCall() call: CallContext) {
    return this.catalogue.setPrice(request.sku, request.price_cents, {
      actor: call.user!.id,
      traceId: activeTraceId(),
    });
  }

  @ContractMethod('order')
  @RequirePermission('orders:create')
  createOrder(@Payload() request: CreateOrderRequest, @CurrentCall() call: CallContext) {
    return this.orders.create(call, request);
  }

  @ContractMethod('order')
  getOrder(@Payload() request: GetOrderRequest, @CurrentCall() call: CallContext) {
    return this.orders.get(call, request.id);
  }

  @ContractMethod('order')
  async listOrders(@Payload() _request: ListOrdersRequest, @CurrentCall() call: CallContext) {
    return { orders: await this.orders.list(call.user!) };
  }

  @ContractMethod('order')
  cancelOrder(@Payload() request: CancelOrderRequest, @CurrentCall() call: CallContext) {
    return this.orders.cancel(call, request.id);
  }

  @ContractMethod('order')
  @RequirePermission('orders:refund')
  refundOrder(@Payload() request: RefundOrderRequest, @CurrentCall() call: CallContext) {
    return this.orders.refund(call, request.id);
  }
}
