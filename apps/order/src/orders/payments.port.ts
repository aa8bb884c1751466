import type { ChargeRequest, Payment } from '@citadel/contracts';
import type { CallOptions } from '@citadel/transport';

/** Why payment did not decide a charge or refund, in the order's terms. */
export type UndecidedBecause =
  /** Payment refused the caller's credential (its permission). */
  | 'caller-not-allowed'
  /** Payment could not authenticate the caller's credential. */
  | 'caller-unauthenticated'
  /** Payment refused the request itself, before charging anything. */
  | 'request-refused'
  /** No answer that says what happened: the charge may or may not have been made. */
  | 'no-answer';

/**
 * Payment answered a charge or refund with something other than a payment: not a decline
 * (a declined payment is an answer), so the order's state does not follow from it.
 * `answer` says what payment answered, for the order's audit record.
 */
export class PaymentUndecided extends Error {
  override readonly name = 'PaymentUndecided';

  constructor(
    readonly because: UndecidedBecause,
    readonly answer: string,
    options?: ErrorOptions,
  ) {
    super(`payment answered ${answer}`, options);
  }
}

/**
 * How order reaches payment: over mTLS, forwarding the user's JWT and trace context. A call
 * payment does not answer with a payment rejects with `PaymentUndecided`.
 */
export abstract class PaymentsPort {
  abstract charge(request: ChargeRequest, options: CallOptions): Promise<Payment>;
  abstract refund(paymentId: string, reason: string, options: CallOptions): Promise<Payment>;
}
