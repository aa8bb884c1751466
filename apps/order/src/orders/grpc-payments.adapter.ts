import { status } from '@grpc/grpc-js';
import type { ChargeRequest } from '@citadel/contracts';
import { isServiceError, type CallOptions, type ServiceClient } from '@citadel/transport';
import { PaymentsPort, PaymentUndecided, type UndecidedBecause } from './payments.port.js';

export class GrpcPaymentsAdapter extends PaymentsPort {
  constructor(private readonly client: Pick<ServiceClient<'payment'>, 'rpc'>) {
    super();
  }
  charge(request: ChargeRequest, options: CallOptions) {
    return this.client.rpc.charge(request, options).catch(rejectUndecided);
  }
  refund(paymentId: string, reason: string, options: CallOptions) {
    return this.client.rpc
      .refund({ payment_id: paymentId, reason }, options)
      .catch(rejectUndecided);
  }
}

/** What each gRPC status from payment means to an order; any other answer decided nothing. */
const UNDECIDED_BECAUSE: Partial<Record<status, UndecidedBecause>> = {
  [status.PERMISSION_DENIED]: 'caller-not-allowed',
  [status.UNAUTHENTICATED]: 'caller-unauthenticated',
  [status.INVALID_ARGUMENT]: 'request-refused',
  [status.FAILED_PRECONDITION]: 'request-refused',
};

/** A failed call to payment as the port's `PaymentUndecided`, naming payment's answer. */
export function undecidedBy(error: unknown): PaymentUndecided {
  if (!isServiceError(error)) return new PaymentUndecided('no-answer', 'nothing', { cause: error });
  const details = error.details ? ` (${error.details.slice(0, 200)})` : '';
  return new PaymentUndecided(
    UNDECIDED_BECAUSE[error.code] ?? 'no-answer',
    `${status[error.code]}${details}`,
    { cause: error },
  );
}

function rejectUndecided(error: unknown): never {
  throw undecidedBy(error);
}
