import { Module, type DynamicModule } from '@nestjs/common';
import { AuditLog } from '@citadel/audit';
import type { Kysely } from '@citadel/database';
import { PaymentsController } from './payments.controller.js';
import type { PaymentDatabase } from './payments/payment.migrations.js';
import { PaymentRepository } from './payments/payment.repository.js';
import { PAYMENT_LOG, PaymentService, type PaymentLog } from './payments/payment.service.js';
import { PaymentProvider } from './provider/payment-provider.port.js';

@Module({})
export class PaymentModule {
  static forRoot(deps: {
    db: Kysely<PaymentDatabase>;
    provider: PaymentProvider;
    audit: AuditLog;
    log: PaymentLog;
  }): DynamicModule {
    return {
      module: PaymentModule,
      controllers: [PaymentsController],
      providers: [
        PaymentService,
        { provide: PaymentRepository, useValue: new PaymentRepository(deps.db) },
        { provide: PaymentProvider, useValue: deps.provider },
        { provide: PAYMENT_LOG, useValue: deps.log },
        { provide: AuditLog, useValue: deps.audit },
      ],
    };
  }
}
