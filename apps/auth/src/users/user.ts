import type { Role } from '@citadel/auth';

export interface User {
  id: string;
  email: string;
  role: Role;
  /** argon2id PHC string; the password itself is never stored. */
  passwordHash: string;
}
