import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog, withFacts, type AuditEvent } from '@citadel/audit';
import { can, canActOn } from '@citadel/auth';
import type { ChargeRequest, Payment } from '@citadel/contracts';
import { NotAllowed, type UserContext } from '@citadel/transport';
import { PaymentProvider } from '../provider/payment-provider.port.js';
import {
  ChargeKeyReused,
  ChargeNotForCaller,
  InvalidCharge,
  PaymentNotFound,
  PaymentNotRefundable,
} from './payment.errors.js';
import type { PaymentDatabase } from './payment.migrations.js';
import { PaymentRepository, type StoredPayment } from './payment.repository.js';

const MAX_AMOUNT_CENTS = 100_000_000;

/** Where payment writes its operational log (the service's pino logger). */
export const PAYMENT_LOG = Symbol('PAYMENT_LOG');
export interface PaymentLog {
  info(details: object, message: string): void;
}
const TOKEN = /^tok_[a-z0-9_]{1,40}$/;
/** Order's ids (UUIDs) and anything alike: one word, so the charge's record can state it. */
const ORDER_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

@Injectable()
export class PaymentService {
  /** Captures running in this process, so a concurrent retry joins instead of re-capturing. */
  private readonly inFlight = new Map<string, Promise<StoredPayment>>();

  constructor(
    private readonly payments: PaymentRepository,
    private readonly provider: PaymentProvider,
    @Inject(PAYMENT_LOG) private readonly log: PaymentLog,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Charges the calling user. Payment re-checks the user context it was handed (zero
   * trust: order being allowed to call does not make every charge legitimate).
   *
   * Exactly once: the payment row, keyed by the idempotency key, is written before the
   * provider is asked. A retry, a duplicate, or a retry after this process died mid-charge
   * finds that row and finishes it (the provider dedups on the payment id) instead of
   * charging again. The `payment.charge` record commits with the provider's answer
   * (captured or declined), written by whichever call settles the payment.
   */
  async charge(user: UserContext, request: ChargeRequest, traceId?: string): Promise<Payment> {
    if (request.user_id !== user.id) throw new ChargeNotForCaller();
    if (
      !Number.isSafeInteger(request.amount_cents) ||
      request.amount_cents <= 0 ||
      request.amount_cents > MAX_AMOUNT_CENTS
    ) {
      throw new InvalidCharge('amount_cents must be a positive integer');
    }
    if (!/^[A-Z]{3}$/.test(request.currency))
      throw new InvalidCharge('currency must be an ISO 4217 code');
    if (!request.idempotency_key || request.idempotency_key.length > 128) {
      throw new InvalidCharge('idempotency_key is required (at most 128 characters)');
    }
    if (!ORDER_ID.test(request.order_id ?? '')) {
      throw new InvalidCharge('order_id must be 1..128 of [A-Za-z0-9_.:-]');
    }
    const token = request.payment_token || 'tok_visa';
    if (!TOKEN.test(token)) throw new InvalidCharge('payment_token is malformed');

    const fresh: StoredPayment = {
      id: randomUUID(),
      order_id: request.order_id,
      user_id: user.id,
      amount_cents: request.amount_cents,
      refunded_cents: 0,
      currency: request.currency,
      status: 'pending',
      decline_reason: '',
      created_at: new Date().toISOString(),
      idempotencyKey: request.idempotency_key,
      paymentToken: token,
    };
    const inserted = await this.payments.insert(fresh);
    const payment = inserted ? fresh : await this.existing(user, request, token);
    const settled = payment.status === 'pending' ? await this.capture(payment, traceId) : payment;
    return toMessage(settled);
  }

  /**
   * Refunds a payment in full, once: a second refund returns the refunded payment.
   * Support agents refund anyone's; a customer only cancels (and so refunds) their own.
   * The refund and its `payment.refund` record, with the amount paid back (the monitor
   * sums them per actor), commit together.
   */
  async refund(user: UserContext, paymentId: string, traceId?: string): Promise<Payment> {
    const payment = await this.payments.findById(paymentId);
    if (!payment) throw new PaymentNotFound();
    const allowed =
      can(user, 'orders:refund') ||
      canActOn(user, payment.user_id, 'orders:cancel:own', 'orders:cancel:any');
    if (!allowed) throw new NotAllowed();
    if (payment.status === 'refunded') return toMessage(payment);
    if (payment.status !== 'captured') throw new PaymentNotRefundable(payment.status);
    const refunded = await this.audit.transaction<StoredPayment | undefined, PaymentDatabase>(
      async (trx, record) => {
        const paid = await this.payments.within(trx).refundInFull(paymentId);
        if (paid) record(refundRecord(user, paid, traceId));
        return paid;
      },
    );
    // Lost a race with a concurrent refund: that one paid out; report its result.
    return toMessage(refunded ?? (await this.payments.findById(paymentId))!);
  }

  async get(user: UserContext, id: string): Promise<Payment> {
    const payment = await this.payments.findById(id);
    if (!payment || !canActOn(user, payment.user_id, 'orders:read:own', 'orders:read:any')) {
      throw new PaymentNotFound();
    }
    return toMessage(payment);
  }

  private async existing(user: UserContext, request: ChargeRequest, token: string) {
    const existing = await this.payments.findByIdempotencyKey(request.idempotency_key);
    if (
      !existing ||
      existing.order_id !== request.order_id ||
      existing.amount_cents !== request.amount_cents ||
      existing.user_id !== user.id ||
      existing.paymentToken !== token
    ) {
      throw new ChargeKeyReused();
    }
    return existing;
  }

  private capture(payment: StoredPayment, traceId: string | undefined): Promise<StoredPayment> {
    let running = this.inFlight.get(payment.id);
    if (!running) {
      this.log.info(
        {
          event: 'payment.capture.started',
          payment_id: payment.id,
          order_id: payment.order_id,
          trace_id: traceId,
        },
        'asking the provider to capture',
      );
      running = this.provider
        .capture({
          reference: payment.id,
          token: payment.paymentToken,
          amountCents: payment.amount_cents,
          currency: payment.currency,
        })
        .then((outcome) =>
          this.settle(
            payment,
            outcome.approved
              ? { status: 'captured', reason: '' }
              : { status: 'declined', reason: outcome.reason },
            traceId,
          ),
        )
        .finally(() => this.inFlight.delete(payment.id));
      this.inFlight.set(payment.id, running);
    }
    return running;
  }

  /** The provider's answer and its `payment.charge` record, in one transaction. */
  private async settle(
    payment: StoredPayment,
    outcome: { status: 'captured' | 'declined'; reason: string },
    traceId: string | undefined,
  ): Promise<StoredPayment> {
    const settled = await this.audit.transaction<StoredPayment | undefined, PaymentDatabase>(
      async (trx, record) => {
        const stored = await this.payments.within(trx).settleCapture(payment.id, outcome);
        if (stored) record(chargeRecord(stored, traceId));
        return stored;
      },
    );
    // Not pending any more: a concurrent capture settled it first; answer with what it stored.
    return settled ?? (await this.payments.findById(payment.id))!;
  }
}

/** The charge as settled: order charges for the user it acts for; the facts are the monitor's. */
function chargeRecord(payment: StoredPayment, traceId: string | undefined): AuditEvent {
  const declined = payment.status === 'declined';
  return {
    actor: payment.user_id,
    action: 'payment.charge',
    target: payment.id,
    outcome: declined ? 'failed' : 'ok',
    callerService: 'order',
    traceId,
    detail: withFacts(declined ? `declined: ${payment.decline_reason}` : 'captured', {
      order_id: payment.order_id,
      amount_cents: payment.amount_cents,
      currency: payment.currency,
    }),
  };
}

function refundRecord(
  user: UserContext,
  payment: StoredPayment,
  traceId: string | undefined,
): AuditEvent {
  return {
    actor: user.id,
    action: 'payment.refund',
    target: payment.id,
    outcome: 'ok',
    callerService: 'order',
    traceId,
    detail: withFacts('refund', {
      amount_cents: payment.refunded_cents,
      currency: payment.currency,
    }),
  };
}

function toMessage({ idempotencyKey: _key, paymentToken: _token, ...payment }: StoredPayment) {
  return payment satisfies Payment;
}
