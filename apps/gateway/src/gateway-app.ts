import type { DynamicModule } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from '@citadel/observability';
import { OpenApiDocument } from './docs/docs.controller.js';
import { openApiDocument } from './docs/openapi.js';
import type { GatewayEnv } from './gateway-env.js';
import {
  clientErrorHandler,
  refuseExpectation,
  refuseTunnel,
  routerErrorHandler,
} from './problem/client-error.js';
import { ProblemFilter } from './problem/problem.filter.js';
import { enforceStrictRequests } from './strict-request.js';
import { traceRequests } from './trace.js';
import { helmetHeaders, sendSecurityHeaders } from './edge/helmet-headers.js';
import { limitRequests } from './edge/limit-requests.js';
import { RateLimits } from './edge/rate-limits.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { declarePassportRequestFields } from './session/request-fields.js';
import { TokenExchange } from './session/token-exchange.js';
import { strictValidation } from './validation.js';

/**
 * The edge's budgets from the environment: the rate limits and the login throttle, in
 * this process or shared by every replica through Redis.
 */
export function edgeLimitsOf(
  env: GatewayEnv,
  redis?: Redis,
): { rateLimits: RateLimits; loginThrottle: LoginThrottle } {
  const rateLimits = new RateLimits(
    {
      perCredential: env.GATEWAY_RATE_LIMIT_PER_CREDENTIAL,
      anonymousPerIp: env.GATEWAY_RATE_LIMIT_ANONYMOUS_PER_IP,
      windowSeconds: env.GATEWAY_RATE_LIMIT_WINDOW_SECONDS,
      keyPrefix: env.REDIS_KEY_PREFIX,
    },
    redis,
  );
  const loginThrottle = new LoginThrottle(
    {
      maxFailuresPerAccount: env.GATEWAY_LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailuresPerIp: env.GATEWAY_LOGIN_MAX_FAILURES_PER_IP,
      maxFailuresPerDevice: env.GATEWAY_LOGIN_MAX_FAILURES_PER_DEVICE,
      windowSeconds: env.GATEWAY_LOGIN_WINDOW_SECONDS,
      keyPrefix: env.REDIS_KEY_PREFIX,
    },
    redis,
  );
  return { rateLimits, loginThrottle };
}

export interface GatewayAppOptions {
  env: GatewayEnv;
  logger: Logger;
  /** The edge's certificate and key (from Vault): HTTPS only, TLS 1.3. */
  /** The HTTPS (edge) certificate and key clients see; not the mesh identity. */
  tls: { key: Buffer; cert: Buffer };
  /** The same counters the module's guards charge (GatewayModule.forRoot's `edge`). */
  rateLimits: RateLimits;
}

/**
 * The gateway's HTTP edge around a {@link GatewayModule}: HTTPS with TLS 1.3, strict
 * requests, rate limits, security headers, CORS, problem+json errors, validation. Not yet
 * listening. `main.ts` composes the module with its mTLS clients and the token exchange;
 * this function adds nothing that depends on what is behind the module.
 */
export async function createGatewayApp(
  module: DynamicModule,
  { env, logger, tls, rateLimits }: GatewayAppOptions,
): Promise<NestFastifyApplication> {
  // The edge speaks HTTPS only (TLS 1.3, certificate from the Citadel CA): attack point 5.
  const adapter = new FastifyAdapter({
    // No Host is refused by strict-request.ts, in the problem shape, not by Node's bare 400.
    https: { key: tls.key, cert: tls.cert, minVersion: 'TLSv1.3', requireHostHeader: false },
    bodyLimit: env.GATEWAY_BODY_LIMIT_BYTES,
    // A path segment over 200 characters is 414 (problem+json, see client-error.ts).
    routerOptions: { maxParamLength: 200 },
    // `X-Forwarded-For` is believed from TRUSTED_PROXIES' hops only, read right to left
    // (proxy-addr): `request.ip` is then the right-most untrusted hop, else the socket's peer.
    trustProxy: env.TRUSTED_PROXIES.length > 0 ? env.TRUSTED_PROXIES : false,
    // Citadel has no Nest middleware (its edge checks are Fastify hooks): without this,
    // every request would still pass through @fastify/middie, ~2.5% of the gateway's CPU.
    skipMiddie: true,
    // What Node's parser and Fastify's router refuse gets the problem shape too.
    clientErrorHandler: clientErrorHandler(logger),
    frameworkErrors: routerErrorHandler(logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: ['error', 'warn'],
    // JSON only: Nest would also parse forms; strict-request.ts installs the JSON parser.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  declarePassportRequestFields(fastify);
  // First, so every later hook, and any refusal, happens inside the request's trace.
  traceRequests(fastify, logger);
  // The API speaks JSON only: any other body type is 415, not parsed as a string.
  fastify.removeContentTypeParser(['text/plain']);
  enforceStrictRequests(fastify);
  fastify.server.on('connect', refuseTunnel);
  fastify.server.on('checkExpectation', refuseExpectation);
  limitRequests(fastify, rateLimits, app.get(TokenExchange));
  // The API's CSP, on every answer. The API reference page alone replaces it with its own
  // (docs/reference-page.ts), on its successful answer only: its errors keep this one.
  sendSecurityHeaders(
    fastify,
    helmetHeaders({
      // Exactly these two: helmet's defaults (style-src 'unsafe-inline' https:, ...) are for
      // pages, and the API serves none.
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      },
    }),
  );
  // CORS is closed unless origins are configured: then only those, and only what the API uses.
  if (env.GATEWAY_CORS_ORIGINS?.length) {
    app.enableCors({
      origin: env.GATEWAY_CORS_ORIGINS,
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'traceparent'],
      exposedHeaders: ['x-trace-id', 'retry-after', 'ratelimit', 'ratelimit-policy'],
      credentials: false,
      maxAge: 600,
    });
  }
  // Every error, a hook's included (a 429 from limitRequests, say), reaches Nest's exception
  // layer, which Nest installs as Fastify's error handler at listen: so ProblemFilter.
  app.useGlobalFilters(new ProblemFilter(logger));
  app.useGlobalPipes(strictValidation);
  app.enableShutdownHooks();

  app.get(OpenApiDocument).value = openApiDocument(app);
  return app;
}
