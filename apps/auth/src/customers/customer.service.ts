import { Injectable } from '@nestjs/common';
import { AuditLog } from '@citadel/audit';
import type { Customer } from '@citadel/contracts';
import { TokenStore } from '../tokens/token.store.js';
import type { AuthDatabase } from '../users/auth.migrations.js';
import { UserRepository } from '../users/user.repository.js';
import { CustomerNotFound } from './customer.errors.js';

@Injectable()
export class CustomerService {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenStore,
    private readonly audit: AuditLog,
  ) {}

  async list(): Promise<Customer[]> {
    return (await this.users.list())
      .filter((user) => user.role === 'customer')
      .map(({ id, email, role }) => ({ id, email, role }));
  }

  /**
   * Deletes a customer account and kills every token it holds at once; the deletion and
   * its `customer.delete` record commit together.
   */
  async delete(id: string, actor: string, traceId?: string): Promise<void> {
    const user = await this.users.findById(id);
    if (!user || user.role !== 'customer') throw new CustomerNotFound();
    await this.audit.transaction<void, AuthDatabase>(async (trx, record) => {
      await this.tokens.within(trx).revokeAllFor(id);
      if (!(await this.users.within(trx).delete(id))) return;
      record({
        actor,
        action: 'customer.delete',
        target: id,
        outcome: 'ok',
        callerService: 'gateway',
        traceId,
      });
    });
  }
}
