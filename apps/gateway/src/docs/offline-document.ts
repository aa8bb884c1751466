import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { createLogger } from '@citadel/observability';
import { GatewayModule } from '../app.module.js';
import type { LoginThrottle } from '../auth/login-throttle.js';
import type { AuthClient, MonitorClient, OrderClient } from '../downstream.js';
import type { RateLimits } from '../edge/rate-limits.js';
import { openApiDocument } from './openapi.js';

/** Stands in for the gRPC clients and the limiters: building the document uses none. */
const unconnected: unknown = Object.freeze({});

/**
 * The document `GET /docs/openapi.json` serves, built from the real GatewayModule without Vault, TLS,
 * Redis, downstreams or a listening socket (for the lint in CI and openapi.spec.ts).
 */
export async function offlineOpenApiDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(
      {
        auth: unconnected as AuthClient,
        order: unconnected as OrderClient,
        monitor: unconnected as MonitorClient,
      },
      {
        loginThrottle: unconnected as LoginThrottle,
        rateLimits: unconnected as RateLimits,
        log: createLogger('gateway', 'silent'),
      },
    ),
    new FastifyAdapter(),
    // abortOnError: a broken module throws here (the spec shows it) instead of exiting.
    { logger: false, bodyParser: false, abortOnError: false },
  );
  try {
    return openApiDocument(app);
  } finally {
    await app.close();
  }
}
