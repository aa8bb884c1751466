import { z } from 'zod';
import { serviceEnvSchema } from '@citadel/config';

export const gatewayEnvSchema = serviceEnvSchema.extend({
  /** Largest accepted request body; larger ones get 413. */
  GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(16_384),
});
export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;
