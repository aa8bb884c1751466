/** What the provider says about one capture attempt. */
export type CaptureOutcome = { approved: true } | { approved: false; reason: string };

/**
 * How payment reaches a payment provider (a card processor). Citadel never sees card
 * data: the client hands over a provider token, and the provider is asked to capture an
 * amount against it. `reference` is the payment's id, the provider-side idempotency key:
 * capturing the same reference twice must not move money twice.
 */
export abstract class PaymentProvider {
  abstract capture(request: {
    reference: string;
    token: string;
    amountCents: number;
    currency: string;
  }): Promise<CaptureOutcome>;
}
