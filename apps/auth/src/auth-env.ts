import { z } from 'zod';
import { serviceEnvSchema } from '@citadel/config';
import { DEFAULT_PASSWORD_WORK } from './users/password-hasher.js';

export const authEnvSchema = serviceEnvSchema.extend({
  /**
   * Password checks (argon2id) running at once, and waiting for a slot; past both, a login
   * is refused with RESOURCE_EXHAUSTED (the gateway's 503 + Retry-After) instead of queueing.
   */
  AUTH_PASSWORD_CHECKS_RUNNING: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(DEFAULT_PASSWORD_WORK.running),
  AUTH_PASSWORD_CHECKS_WAITING: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(DEFAULT_PASSWORD_WORK.waiting),
});
export type AuthEnv = z.infer<typeof authEnvSchema>;
