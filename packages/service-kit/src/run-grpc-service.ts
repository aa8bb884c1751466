import { Module, type INestMicroservice, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditLog } from '@citadel/audit';
import { InternalJwtGuard, type InternalJwtVerifier } from '@citadel/auth';
import type { ServiceEnv } from '@citadel/config';
import type { ContractName } from '@citadel/contracts';
import { exitWithLauncher, reportReady } from '@citadel/lifecycle';
import { processTracing, type Logger } from '@citadel/observability';
import { startGrpcService, type DenialEvent, type MeshIdentity } from '@citadel/transport';
import { auditControllerFor } from './audit.controller.js';

export interface RunGrpcServiceOptions {
  service: ContractName;
  module: Type<unknown> | import('@nestjs/common').DynamicModule;
  env: ServiceEnv;
  logger: Logger;
  verifier: InternalJwtVerifier;
  /** The service's mTLS identity, as read from Vault. */
  tls: MeshIdentity;
  port: number;
  /**
   * The service's audit trail: every denial is recorded in it, and the service serves
   * VerifyAudit/ListAudit over it.
   */
  audit: AuditLog;
  /** Releases what the service holds beyond Nest (e.g. its Vault session) on shutdown. */
  onClose?: () => void | Promise<void>;
}

/**
 * Runs a Citadel gRPC service with every defence on: mTLS (client certificate
 * required), the east-west policy in front of every method (the health service included),
 * then the internal JWT guard. Every denial is logged with its reason and is one audit
 * record, whoever refused it (a refused health check too): a flood of refused calls costs
 * one record per call, as any refused call does; the caller only learns its status code.
 */
export async function runGrpcService(options: RunGrpcServiceOptions): Promise<INestMicroservice> {
  const { audit, logger } = options;
  // Started by the service's instrumentation.ts, before its main module was loaded.
  const tracing = processTracing();
  tracing.logErrorsTo(logger);
  const onDenied = (event: DenialEvent) => {
    logger.warn({ event: 'access.denied', ...event }, 'access denied');
    // Recorded after the caller has its answer: a denial never waits on storage.
    audit
      .append({
        actor: event.actor ?? `service:${event.caller ?? 'unknown'}`,
        action: 'rpc.denied',
        target: `${event.callee}.${event.method}`,
        outcome: 'denied',
        callerService: event.caller,
        traceId: event.traceId,
        detail: event.reason,
      })
      .catch((error: unknown) =>
        logger.error({ event: 'audit.append-failed', err: error }, 'audit append failed'),
      );
  };
  const app = await startGrpcService({
    service: options.service,
    module: withAuditMethods(options.module, options.service, audit),
    host: options.env.HOST,
    port: options.port,
    tls: options.tls,
    onDenied,
    onHandled: (event) => logger.info({ event: 'rpc.handled', ...event }, 'rpc handled'),
    onUnexpectedError: (error) =>
      logger.error({ event: 'rpc.failed', err: error }, 'rpc failed unexpectedly'),
    guards: [(nest) => new InternalJwtGuard(options.verifier, nest.get(Reflector), onDenied)],
  });
  options.logger.info(
    { event: 'service.started', port: options.port, trace_export: tracing.exportUrl ?? 'off' },
    `${options.service} listening (mTLS)`,
  );
  exitWithLauncher(async () => {
    await app.close();
    await tracing.shutdown();
    await options.onClose?.();
  });
  reportReady({ service: options.service, port: options.port });
  return app;
}

/** The service's own module plus the audit methods every Citadel service serves. */
function withAuditMethods(
  module: RunGrpcServiceOptions['module'],
  service: ContractName,
  audit: AuditLog,
): Type<unknown> {
  @Module({
    imports: [module],
    controllers: [auditControllerFor(service)],
    providers: [{ provide: AuditLog, useValue: audit }],
  })
  class ServiceWithAudit {}
  return ServiceWithAudit;
}
