import 'reflect-metadata';
import { grpcAddress, loadServiceEnv } from '@citadel/config';
import { exitWithLauncher, failStart, reportReady } from '@citadel/lifecycle';
import { createLogger, processTracing } from '@citadel/observability';
import { issueServiceCertificate, openServiceVault, readGatewayHttps } from '@citadel/secrets';
import { enforceTls13, ServiceClient, WorkloadIdentity } from '@citadel/transport';
import { GatewayModule } from './app.module.js';
import { createGatewayApp, edgeLimitsOf } from './gateway-app.js';
import { gatewayEnvSchema } from './gateway-env.js';
import { connectRedis } from './edge/limit-requests.js';
import { feedLive, REVOCATION_FEED, InProcessRevocations } from './session/revocation.js';
import { RedisRevocations } from './session/revocation-redis.js';

async function main() {
  const env = loadServiceEnv(gatewayEnvSchema);
  const logger = createLogger('gateway', env.LOG_LEVEL);
  // Started by instrumentation.ts, before this module was loaded.
  const tracing = processTracing();
  tracing.logErrorsTo(logger);
  enforceTls13();
  // The gateway's Vault identity reads its HTTPS certificate and issues its own mTLS
  // certificate, nothing else: no signing key.
  const vault = await openServiceVault(env, 'gateway', logger);
  const tls = await readGatewayHttps(vault);
  // Its mesh identity: issued by Vault's PKI engine now, renewed while it runs.
  const identity = await WorkloadIdentity.start({
    service: 'gateway',
    logger,
    issue: () => issueServiceCertificate(vault, 'gateway'),
  });
  const clients = {
    auth: new ServiceClient('auth', grpcAddress(env, 'auth'), identity),
    order: new ServiceClient('order', grpcAddress(env, 'order'), identity),
    monitor: new ServiceClient('monitor', grpcAddress(env, 'monitor'), identity),
  };
  // Rate-limit counters and the login throttle: in this process, or shared by every
  // replica through Redis.
  const redis = env.REDIS_URL ? await connectRedis(env.REDIS_URL, logger) : undefined;
  const { rateLimits, loginThrottle } = edgeLimitsOf(env, redis);
  // Revocations (logout, deletion, revoked keys) reach every replica through Redis when
  // it is configured, like the counters; else this process is the only one to tell.
  const revocations = redis
    ? new RedisRevocations(redis, { channel: `${env.REDIS_KEY_PREFIX}:revocations`, logger })
    : new InProcessRevocations();
  const gateway = GatewayModule.forRoot(clients, { loginThrottle, rateLimits, log: logger });
  const app = await createGatewayApp(
    {
      ...gateway,
      providers: [
        ...(gateway.providers ?? []),
        { provide: REVOCATION_FEED, useValue: revocations },
      ],
    },
    { env, logger, tls, rateLimits },
  );
  if (!(await feedLive(revocations, REVOCATION_FEED_WAIT_MS))) {
    logger.warn(
      { event: 'revocations.not-live' },
      'revocation feed not live yet: the exchange cache stays off until it is',
    );
  }
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
    clients.monitor.close();
    identity.stop();
    vault.close();
    await revocations.close();
    redis?.disconnect();
  });
  reportReady({ service: 'gateway', port: env.GATEWAY_PORT });
}

/** As long as the gateway waits for Redis itself at start (connectRedis). */
const REVOCATION_FEED_WAIT_MS = 5_000;

main().catch((error) => failStart('gateway', error));
