import { Module } from '@nestjs/common';
import { PaymentsController } from './payments.controller.js';
import { InMemoryPaymentRepository, PaymentRepository } from './payments/payment.repository.js';
import { PaymentService } from './payments/payment.service.js';

@Module({
  controllers: [PaymentsController],
  providers: [PaymentService, { provide: PaymentRepository, useClass: InMemoryPaymentRepository }],
})
export class PaymentModule {}
