import type { Order } from '@citadel/contracts';

/** Storage port for orders; the in-memory adapter serves local mode. */
export abstract class OrderRepository {
  abstract findById(id: string): Promise<Order | undefined>;
  abstract list(filter?: { userId?: string }): Promise<Order[]>;
  abstract save(order: Order): Promise<void>;
}

export class InMemoryOrderRepository extends OrderRepository {
  private readonly orders = new Map<string, Order>();

  async findById(id: string) {
    return this.orders.get(id);
  }
  async list(filter: { userId?: string } = {}) {
    return [...this.orders.values()].filter(
      (order) => !filter.userId || order.user_id === filter.userId,
    );
  }
  async save(order: Order) {
    this.orders.set(order.id, order);
  }
}
