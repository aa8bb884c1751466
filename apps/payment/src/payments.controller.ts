import { Controller } from '@nestjs/common';
import { GrpcMethod, Payload } from '@nestjs/microservices';
import { RequirePermission } from '@citadel/auth';
import type { ChargeRequest, GetPaymentRequest, RefundRequest } from '@citadel/contracts';
import { activeTraceId } from '@citadel/observability';
import { type CallContext, CurrentCall } from '@citadel/transport';
import { PaymentService } from './payments/payment.service.js';

/** gRPC transport for payments. The guards have already checked caller and user. */
@Controller()
export class PaymentsController {
  constructor(private readonly payments: PaymentService) {}

  @GrpcMethod('PaymentService', 'Charge')
  @RequirePermission('orders:create')
  charge(@Payload() request: ChargeRequest, @CurrentCall() call: CallContext) {
    return this.payments.charge(call.user!, request, activeTraceId());
  }

  @GrpcMethod('PaymentService', 'Refund')
  refund(@Payload() request: RefundRequest, @CurrentCall() call: CallContext) {
    return this.payments.refund(call.user!, request.payment_id, activeTraceId());
  }

  @GrpcMethod('PaymentService', 'GetPayment')
  get(@Payload() request: GetPaymentRequest, @CurrentCall() call: CallContext) {
    return this.payments.get(call.user!, request.id);
  }
}
