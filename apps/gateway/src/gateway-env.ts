import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { serviceEnvSchema } from '@citadel/config';

export const gatewayEnvSchema = serviceEnvSchema.extend({
  /** Largest accepted request body; larger ones get 413. */
  GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(16_384),
  /** Brute force: failed logins per account, and per client address, within the window. */
  GATEWAY_LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(5),
  GATEWAY_LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).max(100_000).default(50),
  /** ... and per known device (device cookie), which the account's lockout does not stop. */
  GATEWAY_LOGIN_MAX_FAILURES_PER_DEVICE: z.coerce.number().int().min(1).max(1000).default(5),
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
  /**
   * Proxies in front of the gateway whose `X-Forwarded-For` is believed (comma-separated
   * CIDRs, e.g. the ingress controller's pod CIDR). The client address every per-address
   * limit counts is then the right-most hop not in these ranges. Empty (the default): the
   * socket's peer, and `X-Forwarded-For` is ignored, since any client can write it.
   */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((cidr) => cidr.trim())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .refine(
            (cidr) => ipaddr.isValidCIDR(cidr) && ipaddr.parseCIDR(cidr)[1] > 0,
            'each entry must be a CIDR such as 10.0.0.0/8 or fd00::/8 (not /0: that would let any client pick its own address)',
          ),
      ),
    ),
  /**
   * Shared counters and the revocation feed (session/revocation-redis.ts) for several
   * gateway replicas; in-process counters and revocations when unset (one replica only).
   */
  REDIS_URL: z.preprocess(
    // Empty means unset, so a compose file can pass `${REDIS_URL:-}` through.
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL')
      .optional(),
  ),
  /** Namespace of the counters and the revocation channel in Redis (several Citadels may share one). */
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[\w:.-]{1,64}$/)
    .default('citadel'),
});
export type GatewayEnv = z.infer<typeof gatewayEnvSchema>;
