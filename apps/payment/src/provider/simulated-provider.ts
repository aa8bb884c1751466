import { PaymentProvider, type CaptureOutcome } from './payment-provider.port.js';
import { UnknownPaymentToken } from './provider.errors.js';

/**
 * The built-in provider: a sandbox with test tokens, like a real processor's test mode.
 * No money, no card data.
 *
 * | token         | outcome                                           |
 * |---------------|---------------------------------------------------|
 * | `tok_visa`    | approved (the default when a client gives none)   |
 * | `tok_decline` | declined: `card_declined`                         |
 * | `tok_no_funds`| declined: `insufficient_funds`                    |
 * | `tok_slow`    | approved after `slowMs` (a slow network, in tests) |
 */
export class SimulatedProvider extends PaymentProvider {
  static readonly TOKENS = ['tok_visa', 'tok_decline', 'tok_no_funds', 'tok_slow'] as const;

  constructor(private readonly slowMs = 3_000) {
    super();
  }

  async capture(request: { token: string }): Promise<CaptureOutcome> {
    switch (request.token) {
      case 'tok_visa':
        return { approved: true };
      case 'tok_decline':
        return { approved: false, reason: 'card_declined' };
      case 'tok_no_funds':
        return { approved: false, reason: 'insufficient_funds' };
      case 'tok_slow':
        await new Promise((resolve) => setTimeout(resolve, this.slowMs));
        return { approved: true };
      default:
        throw new UnknownPaymentToken();
    }
  }
}
