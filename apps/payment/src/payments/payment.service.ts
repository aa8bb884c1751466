import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { can, canActOn } from '@citadel/auth';
import type { ChargeRequest, Payment } from '@citadel/contracts';
import {
  failedPrecondition,
  invalidArgument,
  notFound,
  permissionDenied,
  type UserContext,
} from '@citadel/transport';
import { PaymentRepository, type StoredPayment } from './payment.repository.js';

const MAX_AMOUNT_CENTS = 100_000_000;

@Injectable()
export class PaymentService {
  constructor(private readonly payments: PaymentRepository) {}

  /**
   * Charges the calling user. Payment re-checks the user context it was handed (zero
   * trust: order being allowed to call does not make every charge legitimate), and an
   * idempotency key makes a retried charge return the first payment.
   */
  async charge(user: UserContext, request: ChargeRequest): Promise<Payment> {
    if (request.user_id !== user.id)
      throw permissionDenied('a charge must be for the calling user');
    if (
      !Number.isSafeInteger(request.amount_cents) ||
      request.amount_cents <= 0 ||
      request.amount_cents > MAX_AMOUNT_CENTS
    ) {
      throw invalidArgument('amount_cents must be a positive integer');
    }
    if (!/^[A-Z]{3}$/.test(request.currency))
      throw invalidArgument('currency must be an ISO 4217 code');
    if (!request.order_id || !request.idempotency_key || request.idempotency_key.length > 128) {
      throw invalidArgument('order_id and idempotency_key are required');
    }
    const existing = await this.payments.findByIdempotencyKey(request.idempotency_key);
    if (existing) {
      if (
        existing.order_id !== request.order_id ||
        existing.amount_cents !== request.amount_cents ||
        existing.user_id !== user.id
      ) {
        throw failedPrecondition('idempotency key reused for a different charge');
      }
      return toMessage(existing);
    }
    const payment: StoredPayment = {
      id: randomUUID(),
      order_id: request.order_id,
      user_id: user.id,
      amount_cents: request.amount_cents,
      refunded_cents: 0,
      currency: request.currency,
      status: 'captured',
      created_at: new Date().toISOString(),
      idempotencyKey: request.idempotency_key,
    };
    await this.payments.save(payment);
    return toMessage(payment);
  }

  /**
   * Refunds a payment in full, once: a second refund returns the refunded payment.
   * Support agents refund anyone's; a customer only cancels (and so refunds) their own.
   */
  async refund(user: UserContext, paymentId: string): Promise<Payment> {
    const payment = await this.payments.findById(paymentId);
    if (!payment) throw notFound('payment not found');
    const allowed =
      can(user.role, 'orders:refund') ||
      canActOn(user, payment.user_id, 'orders:cancel:own', 'orders:cancel:any');
    if (!allowed) throw permissionDenied();
    if (payment.status === 'refunded') return toMessage(payment);
    const refunded: StoredPayment = {
      ...payment,
      refunded_cents: payment.amount_cents,
      status: 'refunded',
    };
    await this.payments.save(refunded);
    return toMessage(refunded);
  }

  async get(user: UserContext, id: string): Promise<Payment> {
    const payment = await this.payments.findById(id);
    if (!payment || !canActOn(user, payment.user_id, 'orders:read:own', 'orders:read:any')) {
      throw notFound('payment not found');
    }
    return toMessage(payment);
  }
}

function toMessage({ idempotencyKey: _key, ...payment }: StoredPayment): Payment {
  return payment;
}
