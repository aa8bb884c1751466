import type { Payment } from '@citadel/contracts';

export interface StoredPayment extends Payment {
  idempotencyKey: string;
}

/** Storage port for payments; the in-memory adapter serves local mode. */
export abstract class PaymentRepository {
  abstract findById(id: string): Promise<StoredPayment | undefined>;
  abstract findByIdempotencyKey(key: string): Promise<StoredPayment | undefined>;
  abstract save(payment: StoredPayment): Promise<void>;
}

export class InMemoryPaymentRepository extends PaymentRepository {
  private readonly byId = new Map<string, StoredPayment>();
  private readonly byKey = new Map<string, StoredPayment>();

  async findById(id: string) {
    return this.byId.get(id);
  }
  async findByIdempotencyKey(key: string) {
    return this.byKey.get(key);
  }
  async save(payment: StoredPayment) {
    this.byId.set(payment.id, payment);
    this.byKey.set(payment.idempotencyKey, payment);
  }
}
