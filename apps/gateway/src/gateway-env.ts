import { z } from 'zod';
import { serviceEnvSchema } from '@citadel/config';

export const gatewayEnvSchema = serviceEnvSchema.extend({
  /** Largest accepted request body; larger ones get 413. */
  GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(16_384),
  /** Brute force: failed logins per account, and per client address, within the window. */
  GATEWAY_LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(5),
  GATEWAY_LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(50),
  GATEWAY_LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
});
export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;
