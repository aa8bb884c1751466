import { z } from 'zod';
import { serviceEnvSchema } from '@citadel/config';

export const gatewayEnvSchema = serviceEnvSchema.extend({
  /** Largest accepted request body; larger ones get 413. */
  GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(16_384),
  /** Brute force: failed logins per account, and per client address, within the window. */
  GATEWAY_LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(5),
  GATEWAY_LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(50),
  GATEWAY_LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Floods: requests per access token or API key, and per anonymous client address. */
  GATEWAY_RATE_LIMIT_PER_CREDENTIAL: z.coerce.number().int().min(1).max(10_000_000).default(600),
  GATEWAY_RATE_LIMIT_ANONYMOUS_PER_IP: z.coerce.number().int().min(1).max(10_000_000).default(120),
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /**
   * Browser origins allowed to call the API (comma-separated, e.g.
   * `https://shop.example.com`). Unset: no CORS headers at all, so browsers on other
   * origins cannot read any answer.
   */
  GATEWAY_CORS_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(/^https:\/\/[a-z0-9.-]+(:\d{1,5})?$/, 'each origin must be https://host[:port]'),
      ),
    )
    .optional(),
  /** Shared counters for several gateway replicas; in-process counters when unset. */
  REDIS_URL: z.preprocess(
    // Empty means unset, so a compose file can pass `${REDIS_URL:-}` through.
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  /** Namespace of the counters in Redis (several Citadels may share one Redis). */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[\w:.-]{1,64}$/)
    .default('citadel'),
});
export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;
