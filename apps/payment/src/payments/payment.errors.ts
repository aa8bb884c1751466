import { InvalidRequest, NotAllowed, NotFound, PreconditionFailed } from '@citadel/transport';

/** A charge request that is malformed; the message names the field. */
export class InvalidCharge extends InvalidRequest {}

/**
 * A charge for a user other than the one the JWT names: order being allowed to call does
 * not make every charge it asks for legitimate.
 */
export class ChargeNotForCaller extends NotAllowed {
  constructor() {
    super('a charge must be for the calling user');
  }
}

/** The idempotency key already names a different charge. */
export class ChargeKeyReused extends PreconditionFailed {
  constructor() {
    super('idempotency key reused for a different charge');
  }
}

/** No such payment, or one the caller may not read: existence is not leaked. */
export class PaymentNotFound extends NotFound {
  constructor() {
    super('payment not found');
  }
}

/** Only a captured payment can be refunded (a declined or pending one moved no money). */
export class PaymentNotRefundable extends PreconditionFailed {
  constructor(readonly status: string) {
    super(`payment is ${status}`);
  }
}
