import type { ChargeRequest, Payment } from '@citadel/contracts';
import type { CallOptions } from '@citadel/transport';

/** How order reaches payment: over mTLS, forwarding the user's JWT and trace context. */
export abstract class PaymentsPort {
  abstract charge(request: ChargeRequest, options: CallOptions): Promise<Payment>;
  abstract refund(paymentId: string, reason: string, options: CallOptions): Promise<Payment>;
}
