import type { User } from './user.js';

/** Storage port for users; the in-memory adapter serves local mode. */
export abstract class UserRepository {
  abstract findByEmail(email: string): Promise<User | undefined>;
  abstract findById(id: string): Promise<User | undefined>;
  abstract list(): Promise<User[]>;
  abstract save(user: User): Promise<void>;
  abstract delete(id: string): Promise<boolean>;
}

export class InMemoryUserRepository extends UserRepository {
  private readonly users = new Map<string, User>();

  async findByEmail(email: string) {
    const wanted = email.toLowerCase();
    for (const user of this.users.values()) if (user.email === wanted) return user;
    return undefined;
  }
  async findById(id: string) {
    return this.users.get(id);
  }
  async list() {
    return [...this.users.values()];
  }
  async save(user: User) {
    this.users.set(user.id, { ...user, email: user.email.toLowerCase() });
  }
  async delete(id: string) {
    return this.users.delete(id);
  }
}
