import { randomUUID } from 'node:crypto';
import { isRole } from '@citadel/auth';
import type { PasswordHasher } from './password-hasher.js';
import type { UserRepository } from './user.repository.js';

export interface DemoUser {
  email: string;
  password: string;
  role: string;
}

/**
 * Local mode only: seeds the demo users the Vault bootstrap stored (the same ones the
 * launcher wrote to `$CITADEL_HOME/demo-users.json` for people to sign in with).
 */
export async function seedDemoUsers(
  entries: unknown,
  users: UserRepository,
  hasher: PasswordHasher,
): Promise<number> {
  if (!Array.isArray(entries))
    throw new Error('demo users: expected an array of {email,password,role}');
  for (const entry of entries as Partial<Record<keyof DemoUser, unknown>>[]) {
    if (
      typeof entry.email !== 'string' ||
      typeof entry.password !== 'string' ||
      !isRole(entry.role)
    ) {
      throw new Error('demo users: every entry needs an email, a password and a known role');
    }
    if (await users.findByEmail(entry.email)) continue;
    await users.add({
      id: randomUUID(),
      email: entry.email,
      role: entry.role,
      passwordHash: await hasher.hash(entry.password),
    });
  }
  return entries.length;
}
