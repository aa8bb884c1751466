import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { can, canActOn } from '@citadel/auth';
import type { CreateOrderRequest, Order, OrderItem } from '@citadel/contracts';
import { NotAllowed, type CallContext, type UserContext } from '@citadel/transport';
import { AuditLog, type AuditEvent } from '@citadel/audit';
import { activeTraceId } from '@citadel/observability';
import { Catalogue } from '../catalogue/catalogue.js';
import {
  ChargeCredentialRefused,
  ChargeRefused,
  ChargeUnanswered,
  IdempotencyKeyReused,
  InvalidOrder,
  OrderNotFound,
  OrderNotPaid,
  ProductNotInCatalogue,
  RefundUnavailable,
} from './order.errors.js';
import type { OrderDatabase } from './order.migrations.js';
import { OrderRepository, type StoredOrder } from './order.repository.js';
import { PaymentsPort, PaymentUndecided } from './payments.port.js';

export const MAX_ITEMS = 50;
export const MAX_QUANTITY = 100;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const PAYMENT_TOKEN = /^tok_[a-z0-9_]{1,40}$/;
const DEFAULT_PAYMENT_TOKEN = 'tok_visa';
/** The act that settles a paid order, as its audit record names it. */
const SETTLED_BY = { cancelled: 'order.cancel', refunded: 'order.refund' } as const;

@Injectable()
export class OrderService {
  /** Charges running in this process, so a replay joins the charge instead of racing it. */
  private readonly charging = new Map<string, Promise<Order>>();

  constructor(
    private readonly orders: OrderRepository,
    private readonly catalogue: Catalogue,
    private readonly payments: PaymentsPort,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Places an order: prices come from the catalogue at order time, never from the client.
   *
   * With an Idempotency-Key, the same key and request return the same order however many
   * times, and however concurrently, they arrive; the same key for a different request is
   * refused. The order is written as `pending` before payment is asked, and the charge
   * carries the order's own idempotency key, so a retry after a failure in between finishes
   * the same order and payment instead of making new ones. The order and its
   * `order.create` record commit together.
   */
  async create(call: CallContext, request: CreateOrderRequest): Promise<Order> {
    const user = call.user!;
    const key = request.idempotency_key || null;
    if (key !== null && !IDEMPOTENCY_KEY.test(key)) {
      throw new InvalidOrder('idempotency_key must be 1..128 of [A-Za-z0-9_.:-]');
    }
    const paymentToken = request.payment_token || DEFAULT_PAYMENT_TOKEN;
    if (!PAYMENT_TOKEN.test(paymentToken)) throw new InvalidOrder('payment_token is malformed');
    const { items, currency } = await this.price(request.items);
    const requestHash = hashOf({
      items: items.map(({ sku, quantity }) => ({ sku, quantity })),
      paymentToken,
    });

    if (key) {
      const earlier = await this.orders.findByIdempotencyKey(user.id, key);
      if (earlier) return this.replay(call, earlier, requestHash);
    }
    const order: StoredOrder = {
      id: randomUUID(),
      user_id: user.id,
      status: 'pending',
      items,
      total_cents: items.reduce((sum, item) => sum + item.unit_price_cents! * item.quantity, 0),
      currency,
      payment_id: '',
      failure_reason: '',
      created_at: new Date().toISOString(),
      paymentToken,
      idempotencyKey: key,
      requestHash: key ? requestHash : null,
    };
    const placed = await this.audit.transaction<boolean, OrderDatabase>(async (trx, record) => {
      if (!(await this.orders.within(trx).insert(order))) return false;
      record(this.acted(call, 'order.create', order.id));
      return true;
    });
    if (!placed) {
      // A concurrent twin with the same key got there first: answer as it does.
      const twin = await this.orders.findByIdempotencyKey(user.id, key!);
      return this.replay(call, twin!, requestHash);
    }
    return this.pay(call, order);
  }

  /**
   * Someone else's order is "not found": existence is not leaked. Reading never charges:
   * a read is safe to repeat and is allowed to credentials that may not pay (an API key
   * scoped to `orders:read:own`). A pending order is finished by placing it again with its
   * Idempotency-Key, by a caller allowed to create orders.
   */
  async get(call: CallContext, id: string): Promise<Order> {
    const order = await this.orders.findById(id);
    if (!order || !canActOn(call.user!, order.user_id, 'orders:read:own', 'orders:read:any')) {
      throw new OrderNotFound();
    }
    return toMessage(order);
  }

  /** Everyone's orders with `orders:read:any`, one's own with `orders:read:own`, else none. */
  async list(user: UserContext): Promise<Order[]> {
    if (can(user, 'orders:read:any')) return (await this.orders.list()).map(toMessage);
    if (!can(user, 'orders:read:own')) throw new NotAllowed();
    return (await this.orders.list({ userId: user.id })).map(toMessage);
  }

  /** Owner or admin; refunds the payment. Cancelling twice returns the cancelled order. */
  async cancel(call: CallContext, id: string): Promise<Order> {
    const user = call.user!;
    const order = await this.get(call, id);
    if (!canActOn(user, order.user_id, 'orders:cancel:own', 'orders:cancel:any'))
      throw new NotAllowed();
    return this.settle(call, order, 'cancelled', 'customer cancellation');
  }

  /** Support agents and admins. Refunding twice returns the refunded order. */
  async refund(call: CallContext, id: string): Promise<Order> {
    const order = await this.get(call, id);
    return this.settle(call, order, 'refunded', 'support refund');
  }

  /** The record of an act the caller's user did, for the act's own transaction. */
  private acted(call: CallContext, action: string, target: string): AuditEvent {
    return {
      actor: call.user!.id,
      action,
      target,
      outcome: 'ok',
      callerService: call.caller,
      traceId: activeTraceId(),
    };
  }

  private async price(items: OrderItem[]) {
    if (!Array.isArray(items) || items.length === 0 || items.length > MAX_ITEMS) {
      throw new InvalidOrder(`items must hold 1..${MAX_ITEMS} entries`);
    }
    const priced: OrderItem[] = [];
    const currencies = new Set<string>();
    for (const [index, item] of items.entries()) {
      if (
        !Number.isSafeInteger(item.quantity) ||
        item.quantity < 1 ||
        item.quantity > MAX_QUANTITY
      ) {
        throw new InvalidOrder(`items[${index}].quantity must be an integer in 1..${MAX_QUANTITY}`);
      }
      const product = await this.catalogue.find(item.sku);
      if (!product) throw new ProductNotInCatalogue(index);
      priced.push({
        sku: product.sku,
        quantity: item.quantity,
        unit_price_cents: product.price_cents,
      });
      currencies.add(product.currency);
    }
    if (currencies.size > 1) throw new InvalidOrder('items must share one currency');
    return { items: priced, currency: [...currencies][0]! };
  }

  private async replay(call: CallContext, earlier: StoredOrder, requestHash: string) {
    if (earlier.requestHash !== requestHash) {
      throw new IdempotencyKeyReused();
    }
    return earlier.status === 'pending' ? this.pay(call, earlier) : toMessage(earlier);
  }

  /** Charges a pending order once; concurrent callers share the one charge. */
  private pay(call: CallContext, order: StoredOrder): Promise<Order> {
    let running = this.charging.get(order.id);
    if (!running) {
      running = this.charge(call, order).finally(() => this.charging.delete(order.id));
      this.charging.set(order.id, running);
    }
    return running;
  }

  private async charge(call: CallContext, order: StoredOrder): Promise<Order> {
    let next: Parameters<OrderRepository['transition']>[2];
    try {
      const payment = await this.payments.charge(
        {
          order_id: order.id,
          user_id: order.user_id,
          amount_cents: order.total_cents,
          currency: order.currency,
          idempotency_key: `order:${order.id}`,
          payment_token: order.paymentToken,
        },
        { jwt: call.jwt },
      );
      // Only payment's answer about the charge itself (captured or declined) settles it.
      next =
        payment.status === 'captured'
          ? { status: 'paid', payment_id: payment.id }
          : {
              status: 'payment_failed',
              payment_id: payment.id,
              failure_reason: payment.decline_reason,
            };
    } catch (error) {
      throw await this.chargeUnsettled(call, order, error);
    }
    const moved = await this.orders.transition(order.id, 'pending', next);
    return toMessage(moved ?? (await this.orders.findById(order.id))!);
  }

  /**
   * A charge payment did not decide: no answer, or a refusal of the call rather than of the
   * card. None of these is a decline, so the order stays `pending` (retried with its
   * Idempotency-Key, it is charged exactly once) and the refusal goes on record. Marking
   * it `payment_failed` would let any credential payment refuses (a read-only key, a
   * session revoked mid-flight, a wrong east-west rule) end a customer's order, and would
   * file an authorization failure under "card declined", where nobody looks for attacks.
   */
  private async chargeUnsettled(call: CallContext, order: StoredOrder, error: unknown) {
    const undecided = error instanceof PaymentUndecided ? error : undefined;
    const because = undecided?.because ?? 'no-answer';
    const refusedCaller = because === 'caller-not-allowed' || because === 'caller-unauthenticated';
    await this.audit.append({
      actor: call.user!.id,
      action: 'order.charge',
      target: order.id,
      outcome: refusedCaller ? 'denied' : 'failed',
      callerService: call.caller,
      traceId: activeTraceId(),
      detail: `order left pending: payment answered ${undecided?.answer ?? 'nothing'}`,
    });
    if (refusedCaller) return new ChargeCredentialRefused({ cause: error });
    if (because === 'request-refused') return new ChargeRefused({ cause: error });
    // Payment may or may not have charged: only a retry with the same key can tell.
    return new ChargeUnanswered({ cause: error });
  }

  /**
   * Refunds a paid order's payment, then moves the order to `outcome` with its record
   * (`order.cancel`, `order.refund`) in one transaction. Payment is asked first and outside
   * the transaction: a remote call must not hold the order's row locked, and a refund
   * answered but not settled here is finished by the retry (payment refunds once). Only
   * the call whose transition settles the order records it; an order already settled,
   * by an earlier call or a concurrent one, is answered as it is.
   */
  private async settle(
    call: CallContext,
    order: Order,
    outcome: 'cancelled' | 'refunded',
    reason: string,
  ) {
    if (order.status === outcome) return order;
    if (order.status !== 'paid') throw new OrderNotPaid(order.status);
    try {
      await this.payments.refund(order.payment_id, reason, { jwt: call.jwt });
    } catch (error) {
      throw error instanceof PaymentUndecided && error.because === 'caller-not-allowed'
        ? new NotAllowed('permission denied', { cause: error })
        : new RefundUnavailable({ cause: error });
    }
    const settled = await this.audit.transaction<StoredOrder | undefined, OrderDatabase>(
      async (trx, record) => {
        const moved = await this.orders.within(trx).transition(order.id, 'paid', {
          status: outcome,
        });
        if (moved) record(this.acted(call, SETTLED_BY[outcome], order.id));
        return moved;
      },
    );
    // A concurrent cancel or refund settled it first; the payment refunded once either way.
    return toMessage(settled ?? (await this.orders.findById(order.id))!);
  }
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function toMessage({
  paymentToken: _token,
  idempotencyKey: _key,
  requestHash: _hash,
  ...order
}: StoredOrder): Order {
  return order;
}
