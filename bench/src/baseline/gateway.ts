// The baseline's gateway: the product's module and HTTPS edge (TLS 1.3, strict requests,
// rate limits, headers, problem+json, validation), with plaintext gRPC clients and no token
// exchange: every request acts for one fixed user (see plaintext.ts). Bench only.
import 'reflect-metadata';
import type { Provider } from '@nestjs/common';
import { grpcAddress, loadServiceEnv } from '@citadel/config';
import {
  createGatewayApp,
  edgeLimitsOf,
  gatewayEnvSchema,
  GatewayModule,
  TokenExchange,
  type Principal,
} from '@citadel/gateway';
import { exitWithLauncher, failStart, reportReady } from '@citadel/lifecycle';
import { createLogger, processTracing } from '@citadel/observability';
import { openServiceVault, readGatewayHttps } from '@citadel/secrets';
import { enforceTls13 } from '@citadel/transport';
import { BASELINE_USER, encodeBaselineUser, PlaintextClient } from './plaintext.js';

/**
 * In place of the token exchange: whatever bearer token is presented stands for the
 * baseline's user, with no call to auth and nothing cached. The bearer guard and RBAC
 * still run on the principal it gives, as the edge's rate limiter does.
 */
class FixedUserExchange {
  private readonly session = {
    jwt: encodeBaselineUser(BASELINE_USER),
    usableUntil: Number.POSITIVE_INFINITY,
    userId: BASELINE_USER.id,
    email: BASELINE_USER.email,
    role: BASELINE_USER.role,
  };

  exchange() {
    return Promise.resolve(this.session);
  }

  callOptions(_principal: Pick<Principal, 'accessToken' | 'credentialKey'>, _audience: string) {
    return Promise.resolve({ jwt: this.session.jwt });
  }

  revoke() {
    return Promise.resolve();
  }

  /** Every credential is a known session, as a token is once exchanged in the product. */
  isKnown() {
    return true;
  }
}

async function main() {
  const env = loadServiceEnv(gatewayEnvSchema);
  const logger = createLogger('gateway', env.LOG_LEVEL);
  const tracing = processTracing();
  tracing.logErrorsTo(logger);
  enforceTls13();
  // The edge's certificate, as the product's: the HTTPS side is the same on both.
  const vault = await openServiceVault(env, 'gateway', logger);
  const tls = await readGatewayHttps(vault);
  const clients = {
    auth: new PlaintextClient('auth', grpcAddress(env, 'auth'), 'gateway'),
    order: new PlaintextClient('order', grpcAddress(env, 'order'), 'gateway'),
    // Only the admins' alerts route calls it, which the bench's load never does.
    monitor: new PlaintextClient('monitor', grpcAddress(env, 'monitor'), 'gateway'),
  };
  const { rateLimits, loginThrottle } = edgeLimitsOf(env);
  const gateway = GatewayModule.forRoot(clients, { loginThrottle, rateLimits, log: logger });
  const providers: Provider[] = [
    ...(gateway.providers ?? []).filter((provider) => provider !== TokenExchange),
    { provide: TokenExchange, useValue: new FixedUserExchange() },
  ];
  const app = await createGatewayApp({ ...gateway, providers }, { env, logger, tls, rateLimits });
  await app.listen({ host: env.HOST, port: env.GATEWAY_PORT });
  logger.warn(
    { event: 'service.started', port: env.GATEWAY_PORT, baseline: true },
    "gateway listening (HTTPS, TLS 1.3; plaintext gRPC, no token exchange: the bench's baseline)",
  );
  exitWithLauncher(async () => {
    await app.close();
    await tracing.shutdown();
    clients.auth.close();
    clients.order.close();
    clients.monitor.close();
    vault.close();
  });
  reportReady({ service: 'gateway', port: env.GATEWAY_PORT });
}

main().catch((error) => failStart('gateway', error));
