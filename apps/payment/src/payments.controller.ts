import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { RequirePermission } from '@citadel/auth';
import type { ChargeRequest, GetPaymentRequest, RefundRequest } from '@citadel/contracts';
import { activeTraceId } from '@citadel/observability';
import { ContractMethod, CurrentCall, type CallContext } from '@citadel/transport';
import { PaymentService } from './payments/payment.service.js';

/** gRPC transport for payments. The guards have already checked caller and user. */
@Controller()
export class PaymentsController {
  constructor(private readonly payments: PaymentService) {}

  @ContractMethod('payment')
  @RequirePermission('orders:create')
  charge(@Payload() request: ChargeRequest, @CurrentCall() call: CallContext) {
    return this.payments.charge(call.user!, request, activeTraceId());
  }

  @ContractMethod('payment')
  refund(@Payload() request: RefundRequest, @CurrentCall() call: CallContext) {
    return this.payments.refund(call.user!, request.payment_id, activeTraceId());
  }

  @ContractMethod('payment')
  getPayment(@Payload() request: GetPaymentRequest, @CurrentCall() call: CallContext) {
    return this.payments.get(call.user!, request.id);
  }
}
