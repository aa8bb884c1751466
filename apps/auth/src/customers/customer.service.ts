import { Injectable } from '@nestjs/common';
import type { Customer } from '@citadel/contracts';
import { notFound } from '@citadel/transport';
import { TokenStore } from '../tokens/token.store.js';
import { UserRepository } from '../users/user.repository.js';

@Injectable()
export class CustomerService {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenStore,
  ) {}

  async list(): Promise<Customer[]> {
    return (await this.users.list())
      .filter((user) => user.role === 'customer')
      .map(({ id, email, role }) => ({ id, email, role }));
  }

  /** Deletes a customer account and kills every token it holds at once. */
  async delete(id: string): Promise<void> {
    const user = await this.users.findById(id);
    if (!user || user.role !== 'customer') throw notFound('customer not found');
    await this.tokens.revokeAllFor(id);
    await this.users.delete(id);
  }
}
