import {
  Conflict,
  InvalidRequest,
  NotAllowed,
  NotFound,
  PreconditionFailed,
  Unavailable,
} from '@citadel/transport';

/** An order request that is malformed whatever the catalogue holds; the message names the field. */
export class InvalidOrder extends InvalidRequest {}

/** A line of the order names a SKU that is not on sale. */
export class ProductNotInCatalogue extends InvalidRequest {
  constructor(readonly line: number) {
    super(`items[${line}].sku is not in the catalogue`);
  }
}

/** The Idempotency-Key was already used by this user for a different request. */
export class IdempotencyKeyReused extends Conflict {
  constructor() {
    super('this Idempotency-Key was used for a different request');
  }
}

/** No such order, or one the caller may not read: existence is not leaked. */
export class OrderNotFound extends NotFound {
  constructor() {
    super('order not found');
  }
}

/** Cancelling or refunding needs a paid order. */
export class OrderNotPaid extends PreconditionFailed {
  constructor(readonly status: string) {
    super(`order is ${status}`);
  }
}

/**
 * Payment refused the credential the order was placed with (a read-only key, a session
 * revoked mid-flight). The order stays pending; the refusal is on record.
 */
export class ChargeCredentialRefused extends NotAllowed {
  constructor(options?: ErrorOptions) {
    super(
      'payment refused this credential; the order is pending: retry with the same Idempotency-Key and a credential that may pay',
      options,
    );
  }
}

/** Payment refused the charge request itself (not the card: that is a decline). */
export class ChargeRefused extends PreconditionFailed {
  constructor(options?: ErrorOptions) {
    super('payment refused the charge; the order is pending', options);
  }
}

/** Payment gave no answer: it may or may not have charged, and only a retry with the key can tell. */
export class ChargeUnanswered extends Unavailable {
  constructor(options?: ErrorOptions) {
    super(
      'payment did not answer; the order is pending: retry with the same Idempotency-Key',
      options,
    );
  }
}

/** Payment did not refund a paid order, for a reason other than refusing the caller. */
export class RefundUnavailable extends Unavailable {
  constructor(options?: ErrorOptions) {
    super('payment service unavailable', options);
  }
}
