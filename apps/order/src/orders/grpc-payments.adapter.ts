import type { ChargeRequest, Payment } from '@citadel/contracts';
import type { CallOptions, ServiceClient } from '@citadel/transport';
import { PaymentsPort } from './payments.port.js';

export class GrpcPaymentsAdapter extends PaymentsPort {
  constructor(private readonly client: ServiceClient) {
    super();
  }
  charge(request: ChargeRequest, options: CallOptions) {
    return this.client.call<Payment>('Charge', request, options);
  }
  refund(paymentId: string, reason: string, options: CallOptions) {
    return this.client.call<Payment>('Refund', { payment_id: paymentId, reason }, options);
  }
}
