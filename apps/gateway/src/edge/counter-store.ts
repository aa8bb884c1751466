import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

export interface CounterOptions {
  /** Namespace (in Redis several Citadels may share one), then the counter's own name. */
  namespace: string | undefined;
  name: string;
  points: number;
  windowSeconds: number;
}

/**
 * One fixed-window counter for the gateway's limits: in this process, or in Redis so every
 * gateway replica shares it. If Redis fails, the replica falls back to its own memory
 * counter (rate-limiter-flexible's insurance limiter) instead of failing open or closed.
 */
export function counter(options: CounterOptions, redis?: Redis): RateLimiterAbstract {
  const settings = {
    keyPrefix: `${options.namespace ?? 'citadel'}:${options.name}`,
    points: options.points,
    duration: options.windowSeconds,
  };
  return redis
    ? new RateLimiterRedis({
        ...settings,
        storeClient: redis,
        insuranceLimiter: new RateLimiterMemory(settings),
      })
    : new RateLimiterMemory(settings);
}
