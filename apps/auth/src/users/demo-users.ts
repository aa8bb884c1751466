import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { isRole } from '@citadel/auth';
import type { PasswordHasher } from './password-hasher.js';
import type { UserRepository } from './user.repository.js';

/**
 * Local mode only: seeds the demo users from `$CITADEL_HOME/demo-users.json`, which the
 * launcher wrote with random passwords on first start (mode 0600).
 */
export async function seedDemoUsers(
  file: string,
  users: UserRepository,
  hasher: PasswordHasher,
): Promise<number> {
  const entries: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(entries))
    throw new Error(`${file}: expected an array of {email,password,role}`);
  for (const entry of entries as { email?: unknown; password?: unknown; role?: unknown }[]) {
    if (
      typeof entry.email !== 'string' ||
      typeof entry.password !== 'string' ||
      !isRole(entry.role)
    ) {
      throw new Error(`${file}: every entry needs an email, a password and a known role`);
    }
    if (await users.findByEmail(entry.email)) continue;
    await users.save({
      id: randomUUID(),
      email: entry.email,
      role: entry.role,
      passwordHash: await hasher.hash(entry.password),
    });
  }
  return entries.length;
}
