import { HttpException } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from '@citadel/observability';
import {
  rateLimitHeaders,
  type KnownCredentials,
  type RateLimitCharge,
  type RateLimits,
} from './rate-limits.js';

/** Probes stay outside the limits: an orchestrator must always see whether we are up. */
const UNLIMITED = new Set(['/healthz', '/readyz']);

/**
 * Spends each request's rate-limit budget before routing, body parsing or any call
 * downstream, so a flood costs the gateway a counter update and nothing else. Every answer
 * it charged says so in its `RateLimit-Policy` and `RateLimit` headers, a 429 included
 * (which also carries `Retry-After`, RFC 9110 §10.2.3, set by the problem filter).
 */
export function limitRequests(
  fastify: FastifyInstance,
  limits: RateLimits,
  known: KnownCredentials,
): void {
  // Declared, so every request object is built with the field in place.
  fastify.decorateRequest('presentedCredential', null);
  fastify.addHook('onRequest', async (request, reply) => {
    if (UNLIMITED.has(request.url)) return;
    const charge = await limits.consume(request.headers.authorization, request.ip, known);
    void reply.headers(rateLimitHeaders(charge));
    if (!charge.allowed) throw tooManyRequests(charge);
    if (charge.presented) request.presentedCredential = charge.presented;
  });
}

function tooManyRequests(charge: RateLimitCharge): HttpException {
  const seconds = charge.resetSeconds;
  return new HttpException(
    { message: `rate limit exceeded; try again in ${seconds} s`, retryAfterSeconds: seconds },
    429,
  );
}

/**
 * A Redis client for shared counters; commands fail fast (no queue) while it is down, and
 * the limits fall back to per-replica memory counters. At start the gateway waits for the
 * connection (a few seconds at most), so a fresh replica does not begin on empty
 * counters while every other replica has full ones.
 */
export async function connectRedis(url: string, logger: Logger, waitMs = 5_000): Promise<Redis> {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(
      { event: 'redis.unreachable', err: error.message },
      'Redis unreachable: rate limits fall back to per-replica memory counters',
    );
  });
  redis.on('ready', () => {
    if (down) logger.info({ event: 'redis.recovered' }, 'Redis reachable again');
    down = false;
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, waitMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
}
