import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { can, canActOn } from '@citadel/auth';
import type { Order, OrderItem } from '@citadel/contracts';
import {
  failedPrecondition,
  invalidArgument,
  isServiceError,
  notFound,
  permissionDenied,
  rpcError,
  type CallContext,
  type UserContext,
} from '@citadel/transport';
import { status } from '@grpc/grpc-js';
import { Catalogue } from '../catalogue/catalogue.js';
import { OrderRepository } from './order.repository.js';
import { PaymentsPort } from './payments.port.js';

export const MAX_ITEMS = 50;
export const MAX_QUANTITY = 100;

@Injectable()
export class OrderService {
  constructor(
    private readonly orders: OrderRepository,
    private readonly catalogue: Catalogue,
    private readonly payments: PaymentsPort,
  ) {}

  /** Prices come from the catalogue at order time, never from the client. */
  async create(call: CallContext, items: OrderItem[]): Promise<Order> {
    const user = call.user!;
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_ITEMS) {
      throw invalidArgument(`items must hold 1..${MAX_ITEMS} entries`);
    }
    let currency = '';
    const priced = items.map((item, index) => {
      const product = this.catalogue.find(item.sku);
      if (!product) throw invalidArgument(`items[${index}].sku is not in the catalogue`);
      if (
        !Number.isSafeInteger(item.quantity) ||
        item.quantity < 1 ||
        item.quantity > MAX_QUANTITY
      ) {
        throw invalidArgument(`items[${index}].quantity must be an integer in 1..${MAX_QUANTITY}`);
      }
      currency = product.currency;
      return { sku: product.sku, quantity: item.quantity, unit_price_cents: product.price_cents };
    });
    const order: Order = {
      id: randomUUID(),
      user_id: user.id,
      status: 'payment_failed',
      items: priced,
      total_cents: priced.reduce((sum, item) => sum + item.unit_price_cents * item.quantity, 0),
      currency,
      payment_id: '',
      created_at: new Date().toISOString(),
    };
    try {
      const payment = await this.payments.charge(
        {
          order_id: order.id,
          user_id: user.id,
          amount_cents: order.total_cents,
          currency,
          idempotency_key: `order:${order.id}`,
        },
        { jwt: call.jwt, traceparent: call.traceparent },
      );
      Object.assign(order, { status: 'paid', payment_id: payment.id });
    } finally {
      await this.orders.save(order);
    }
    return order;
  }

  /** Someone else's order is "not found": existence is not leaked. */
  async get(user: UserContext, id: string): Promise<Order> {
    const order = await this.orders.findById(id);
    if (!order || !canActOn(user, order.user_id, 'orders:read:own', 'orders:read:any')) {
      throw notFound('order not found');
    }
    return order;
  }

  list(user: UserContext): Promise<Order[]> {
    return can(user.role, 'orders:read:any')
      ? this.orders.list()
      : this.orders.list({ userId: user.id });
  }

  /** Owner or admin; refunds the payment. Cancelling twice returns the cancelled order. */
  async cancel(call: CallContext, id: string): Promise<Order> {
    const user = call.user!;
    const order = await this.get(user, id);
    if (!canActOn(user, order.user_id, 'orders:cancel:own', 'orders:cancel:any'))
      throw permissionDenied();
    return this.settle(call, order, 'cancelled', 'customer cancellation');
  }

  /** Support agents and admins. */
  async refund(call: CallContext, id: string): Promise<Order> {
    const order = await this.get(call.user!, id);
    return this.settle(call, order, 'refunded', 'support refund');
  }

  private async settle(
    call: CallContext,
    order: Order,
    outcome: 'cancelled' | 'refunded',
    reason: string,
  ) {
    if (order.status === outcome) return order;
    if (order.status !== 'paid') throw failedPrecondition(`order is ${order.status}`);
    try {
      await this.payments.refund(order.payment_id, reason, {
        jwt: call.jwt,
        traceparent: call.traceparent,
      });
    } catch (error) {
      throw isServiceError(error) && error.code === status.PERMISSION_DENIED
        ? permissionDenied()
        : rpcError(status.UNAVAILABLE, 'payment service unavailable');
    }
    const settled: Order = { ...order, status: outcome };
    await this.orders.save(settled);
    return settled;
  }
}
