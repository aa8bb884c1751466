// The bench's insecure baseline, shared by its four entry points. Nothing here is product
// code: apps/ and packages/ have no way to turn their security off (see
// e2e/no-insecure-mode.e2e-spec.ts), so the baseline composes the apps' own modules here,
// around plaintext gRPC, to put a number on what that security costs per request.
import * as grpc from '@grpc/grpc-js';
import type { CanActivate, DynamicModule, ExecutionContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { HealthImplementation } from 'grpc-health-check';
import { servicePort, type ServiceEnv } from '@citadel/config';
import { exitWithLauncher, reportReady } from '@citadel/lifecycle';
import {
  CONTRACTS,
  LOADER_OPTIONS,
  protoPath,
  serviceClientConstructor,
  type ContractClient,
  type ContractName,
} from '@citadel/contracts';
import { processTracing, type Logger } from '@citadel/observability';
import {
  contractClient,
  healthCheck,
  setCallContext,
  traceRpcCalls,
  type CallOptions,
  type UserContext,
} from '@citadel/transport';

/** The one user every baseline request acts for: the baseline gateway exchanges no token. */
export const BASELINE_USER: Readonly<Required<Pick<UserContext, 'id' | 'role' | 'email'>>> = {
  id: '00000000-0000-4000-8000-0000000b5e11',
  role: 'customer',
  email: 'bench-baseline@citadel.test',
};

/**
 * Plain gRPC metadata in place of the internal JWT and the client certificate: the user a
 * call acts for (`id;role`) and the service that says it calls. Unsigned, unchecked:
 * exactly what the secured services refuse.
 */
const USER_METADATA = 'x-citadel-baseline-user';
const CALLER_METADATA = 'x-citadel-baseline-caller';

export function encodeBaselineUser(user: Pick<UserContext, 'id' | 'role'>): string {
  return `${user.id};${user.role}`;
}

/**
 * The baseline's one guard, in place of the east-west policy (interceptor) and the internal
 * JWT guard: no caller check, no token check. It establishes the same call context they do,
 * from the plain metadata above, so the handlers run unchanged.
 */
class BaselineCallGuard implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    const metadata = ctx.getArgByIndex<grpc.Metadata>(1);
    const user = metadata.get(USER_METADATA)[0];
    const caller = metadata.get(CALLER_METADATA)[0];
    const [id, role] = typeof user === 'string' ? user.split(';') : [];
    setCallContext(metadata, {
      caller: typeof caller === 'string' ? caller : 'unknown',
      ...(id && role ? { user: { id, role }, jwt: user as string } : {}),
    });
    return true;
  }
}

/**
 * A long-lived plaintext gRPC client with the shape of @citadel/transport's ServiceClient
 * (one channel, the same channel options but TLS): `jwt` travels as the plain user value.
 */
export class PlaintextClient<S extends ContractName = ContractName> {
  private readonly client: grpc.Client;
  readonly rpc: ContractClient<S, CallOptions>;

  constructor(
    readonly target: S,
    address: string,
    /** The calling service, named in plain metadata (there is no certificate to read). */
    private readonly caller: string,
  ) {
    const Ctor = serviceClientConstructor(target);
    this.client = new Ctor(address, grpc.credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 30_000,
      'grpc.enable_channelz': 0,
    });
    this.rpc = contractClient(this.client, target, (options) => {
      const metadata = new grpc.Metadata();
      metadata.set(CALLER_METADATA, this.caller);
      if (options.jwt) metadata.set(USER_METADATA, options.jwt);
      return metadata;
    });
  }

  /** Standard gRPC health check (grpc.health.v1): the gateway's /readyz asks it. */
  health(deadlineMs = 1_000): Promise<boolean> {
    return healthCheck(this.client, deadlineMs);
  }

  close(): void {
    this.client.close();
  }
}

export interface PlaintextServiceOptions {
  service: ContractName;
  module: Type<unknown> | DynamicModule;
  env: ServiceEnv;
  logger: Logger;
  onClose: () => Promise<void>;
}

/**
 * Serves one app's module as startGrpcService does, minus its security: the same Nest
 * microservice, contract, loader, health service, access log and trace interceptor, on a
 * plaintext listener with no east-west interceptor and no JWT guard.
 */
export async function runPlaintextService(options: PlaintextServiceOptions): Promise<void> {
  const { service, env, logger } = options;
  const tracing = processTracing();
  tracing.logErrorsTo(logger);
  const port = servicePort(env, service);
  const contract = CONTRACTS[service];
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(options.module, {
    transport: Transport.GRPC,
    logger: ['error', 'warn'],
    options: {
      package: contract.package,
      protoPath: protoPath(service),
      url: `${env.HOST}:${port}`,
      credentials: grpc.ServerCredentials.createInsecure(),
      loader: LOADER_OPTIONS,
      channelOptions: {
        'grpc.enable_channelz': 0,
        // The product's access log, so both sides pay for it: only the policy is left out.
        interceptors: [
          traceRpcCalls((event) => logger.info({ event: 'rpc.handled', ...event }, 'rpc handled')),
        ],
      },
      gracefulShutdown: true,
      onLoadPackageDefinition: (
        _pkg: unknown,
        server: Parameters<HealthImplementation['addToServer']>[0],
      ) => {
        new HealthImplementation({ '': 'SERVING' }).addToServer(server);
      },
    },
  });
  app.useGlobalGuards(new BaselineCallGuard());
  app.enableShutdownHooks();
  await app.listen();
  logger.warn(
    { event: 'service.started', port, baseline: true },
    `${service} listening (PLAINTEXT: the bench's insecure baseline)`,
  );
  exitWithLauncher(async () => {
    await app.close();
    await tracing.shutdown();
    await options.onClose();
  });
  reportReady({ service, port });
}
