import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  exitWithLauncher,
  failStart,
  grpcAddress,
  loadServiceEnv,
  reportReady,
} from '@citadel/config';
import { createLogger, processTracing } from '@citadel/observability';
import { openServiceVault, readServiceTls } from '@citadel/secrets';
import { enforceTls13, ServiceClient } from '@citadel/transport';
import { GatewayModule } from './app.module.js';
import { OpenApiDocument } from './docs/docs.controller.js';
import { openApiDocument } from './docs/openapi.js';
import { gatewayEnvSchema } from './gateway-env.js';
import {
  clientErrorHandler,
  refuseExpectation,
  refuseTunnel,
  routerErrorHandler,
} from './problem/client-error.js';
import { ProblemFilter } from './problem/problem.filter.js';
import { enforceStrictRequests } from './strict-request.js';
import { traceRequests } from './trace.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { helmetHeaders, sendSecurityHeaders } from './edge/helmet-headers.js';
import { connectRedis, limitRequests } from './edge/limit-requests.js';
import { RateLimits } from './edge/rate-limits.js';
import { declarePassportRequestFields } from './session/request-fields.js';
import { REVOCATION_FEED, InProcessRevocations } from './session/revocation.js';
import { RedisRevocations } from './session/revocation-redis.js';
import { TokenExchange } from './session/token-exchange.js';
import { strictValidation } from './validation.js';

async function main() {
  const env = loadServiceEnv(gatewayEnvSchema);
  const logger = createLogger('gateway', env.LOG_LEVEL);
  // Started by instrumentation.ts, before this module was loaded.
  const tracing = processTracing();
  tracing.logErrorsTo(logger);
  enforceTls13();
  // The gateway's Vault identity reads its TLS material and nothing else: no signing key.
  const vault = await openServiceVault(env, 'gateway', logger);
  const tls = await readServiceTls(vault, 'gateway');
  const clients = {
    auth: new ServiceClient('auth', grpcAddress(env, 'auth'), tls),
    order: new ServiceClient('order', grpcAddress(env, 'order'), tls),
  };
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
  // Rate-limit counters: in this process, or shared by every replica through Redis.
  const redis = env.REDIS_URL ? await connectRedis(env.REDIS_URL, logger) : undefined;
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
  // Revocations (logout, deletion, revoked keys) reach every replica through Redis when
  // it is configured, like the counters; else this process is the only one to tell.
  const revocations = redis
    ? new RedisRevocations(redis, { channel: `${env.REDIS_KEY_PREFIX}:revocations`, logger })
    : new InProcessRevocations();
  const gateway = GatewayModule.forRoot(clients, { loginThrottle, rateLimits, log: logger });
  const app = await NestFactory.create<NestFastifyApplication>(
    {
      ...gateway,
      providers: [
        ...(gateway.providers ?? []),
        { provide: REVOCATION_FEED, useValue: revocations },
      ],
    },
    adapter,
    {
      logger: ['error', 'warn'],
      // JSON only: Nest would also parse forms; strict-request.ts installs the JSON parser.
      bodyParser: false,
    },
  );
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
  sendSecurityHeaders(
    fastify,
    helmetHeaders({
      contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
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

  await app.listen({ host: env.HOST, port: env.GATEWAY_PORT });
  logger.info(
    { event: 'service.started', port: env.GATEWAY_PORT, trace_export: tracing.exportUrl ?? 'off' },
    'gateway listening (HTTPS, TLS 1.3)',
  );
  exitWithLauncher(async () => {
    await app.close();
    await tracing.shutdown();
    clients.auth.close();
    clients.order.close();
    vault.close();
    await revocations.close();
    redis?.disconnect();
  });
  reportReady({ service: 'gateway', port: env.GATEWAY_PORT });
}

main().catch((error) => failStart('gateway', error));
