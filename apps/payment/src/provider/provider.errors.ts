import { InvalidRequest } from '@citadel/transport';

/** The payment token is well-formed but not one the provider issued. */
export class UnknownPaymentToken extends InvalidRequest {
  constructor() {
    super('payment_token is not a token the provider knows');
  }
}
