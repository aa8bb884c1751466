import type { INestMicroservice, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { HealthImplementation } from 'grpc-health-check';
import { CONTRACTS, LOADER_OPTIONS, protoPath, type ContractName } from '@citadel/contracts';
import { DomainErrorFilter } from './domain-error.filter.js';
import { enforceEastWestPolicy, type DenialEvent } from './east-west.interceptor.js';
import { connectionMaxAgeMs, enforceTls13, serverCredentials, type MeshIdentity } from './mtls.js';
import { traceRpcCalls, type RpcHandledEvent } from './rpc-trace.interceptor.js';

export interface GrpcServiceOptions {
  service: ContractName;
  module: Type<unknown>;
  host: string;
  port: number;
  /** The service's rotating identity from Vault (or fixed material in tests). */
  tls: MeshIdentity;
  /**
   * Nest guards for the handlers of the service's contract, which run once the east-west
   * policy let the call through (typically the internal JWT guard).
   */
  guards?: ((app: INestMicroservice) => import('@nestjs/common').CanActivate)[];
  /** Every call the east-west policy refused (and whatever else the guards report). */
  onDenied?: (event: DenialEvent) => void;
  /** Every call served (health checks aside), once answered: the access log. */
  onHandled?: (event: RpcHandledEvent) => void;
  /**
   * Every error a handler threw that is not a `DomainError` (nor a guard's refusal): its
   * caller only gets INTERNAL, so this is where it is logged.
   */
  onUnexpectedError: (error: unknown) => void;
  logger?: import('@nestjs/common').LoggerService | false;
}

/**
 * Starts one Citadel gRPC service the only way Citadel services start: TLS 1.3 with a
 * required client certificate (no plaintext listener exists), the east-west policy in
 * front of every method it serves (the standard gRPC health service included), then the
 * guards in front of the contract's handlers, and one mapping from what a handler throws
 * to the caller's status (`DomainErrorFilter`). No setting or variable turns any of it off.
 */
export async function startGrpcService(options: GrpcServiceOptions): Promise<INestMicroservice> {
  enforceTls13();
  const contract = CONTRACTS[options.service];
  const maxConnectionAgeMs = connectionMaxAgeMs(options.tls);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(options.module, {
    transport: Transport.GRPC,
    logger: options.logger ?? ['error', 'warn'],
    options: {
      package: contract.package,
      protoPath: protoPath(options.service),
      url: `${options.host}:${options.port}`,
      credentials: serverCredentials(options.tls),
      loader: LOADER_OPTIONS,
      // Channelz per-call statistics: not served by Citadel, so not kept (see grpc-client.ts).
      // grpc-js reads server interceptors from the options Nest builds its Server with, and
      // hands each call's metadata to the first one first. The trace interceptor only
      // observes (a span, and the access log of every call, refused ones included); the
      // east-west policy is the first to decide, so nothing else runs for a refused caller.
      channelOptions: {
        'grpc.enable_channelz': 0,
        // No connection outlives the certificates it was opened with (see connectionMaxAgeMs);
        // calls in flight when it is closed get 5 s to finish.
        ...(maxConnectionAgeMs && {
          'grpc.max_connection_age_ms': maxConnectionAgeMs,
          'grpc.max_connection_age_grace_ms': 5_000,
        }),
        interceptors: [
          traceRpcCalls(options.onHandled),
          enforceEastWestPolicy(options.service, options.onDenied),
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
  app.useGlobalFilters(new DomainErrorFilter(options.onUnexpectedError));
  app.useGlobalGuards(...(options.guards ?? []).map((make) => make(app)));
  app.enableShutdownHooks();
  await app.listen();
  return app;
}
