import type { DynamicModule, INestMicroservice, Type } from '@nestjs/common';
import { AuditForwarder, AuditLog, type AuditDatabase, type MonitorPort } from '@citadel/audit';
import { verifierFromAuth } from '@citadel/auth';
import {
  grpcAddress,
  loadServiceEnv,
  serviceEnvSchema,
  servicePort,
  type GrpcServiceName,
  type ServiceEnv,
} from '@citadel/config';
import {
  openServiceDatabase,
  type Kysely,
  type Migration,
  type ServiceDatabase,
} from '@citadel/database';
import { createLogger, type Logger } from '@citadel/observability';
import { issueServiceCertificate, openServiceVault, readDatabaseConfig } from '@citadel/secrets';
import { failStart } from '@citadel/lifecycle';
import { ServiceClient, WorkloadIdentity } from '@citadel/transport';
import { runGrpcService } from './run-grpc-service.js';

/** What a service's module gets from {@link serviceMain}, all of it set up securely. */
export interface ServiceMainDeps<DB, C extends GrpcServiceName> {
  env: ServiceEnv;
  logger: Logger;
  /** The service's own schema (its own login role, or its embedded database), migrated. */
  db: Kysely<DB>;
  /** `embedded` (this process is the database's one writer) or `postgres` (shared). */
  databaseKind: ServiceDatabase<DB>['kind'];
  /** The service's hash-chained audit trail, in that schema; every denial lands in it. */
  audit: AuditLog;
  /** Long-lived mTLS clients: auth (for the JWKS) and each service named in `calls`. */
  clients: ServiceClients<C | 'auth'>;
}

/** One typed client per service called: `clients.payment.rpc.charge(...)`. */
export type ServiceClients<N extends GrpcServiceName> = { readonly [K in N]: ServiceClient<K> };

export interface ServiceMainOptions<DB extends AuditDatabase, C extends GrpcServiceName> {
  /** The service: its name in the service registry (packages/config). */
  service: GrpcServiceName;
  /** Its schema, the audit log's migration (AUDIT_LOG_MIGRATION) included. */
  migrations: Record<string, Migration>;
  /**
   * The services it calls besides auth. The east-west policy must allow each call: a
   * client here only opens a channel, the callee decides.
   */
  calls?: readonly C[];
  /** Runs once the database is open, before the service listens (seed data, checks). */
  prepare?: (deps: ServiceMainDeps<DB, C>) => Promise<void>;
  /** The service's own Nest module, built from what was set up. */
  module: (deps: ServiceMainDeps<DB, C>) => Type<unknown> | DynamicModule;
}

/**
 * Everything a Citadel gRPC service's `main` does, in one place, so that a service starts
 * secure by construction: its settings through the shared schema, its Vault session with
 * its own AppRole (fails closed), its mTLS identity from Vault, its own database with
 * credentials from Vault (embedded PostgreSQL in local mode), its audit trail, a JWT
 * verifier whose keys come from auth's JWKS over mTLS, and then {@link runGrpcService}:
 * mutual TLS, the east-west policy (interceptor) and the internal JWT guard on every method.
 * Once it listens, every service but the monitor forwards its audit trail to the monitor
 * ({@link AuditForwarder}). Exits with a one-line message when any of it fails.
 * `npm run new:service` generates a `main.ts` that is one call to this.
 */
export function serviceMain<DB extends AuditDatabase, C extends GrpcServiceName = never>(
  options: ServiceMainOptions<DB, C>,
): Promise<INestMicroservice> {
  return startService(options).catch((error: unknown) => failStart(options.service, error));
}

async function startService<DB extends AuditDatabase, C extends GrpcServiceName>(
  options: ServiceMainOptions<DB, C>,
): Promise<INestMicroservice> {
  const { service } = options;
  const env = loadServiceEnv(serviceEnvSchema);
  const logger = createLogger(service, env.LOG_LEVEL);
  const vault = await openServiceVault(env, service, logger);
  const clients: Partial<Record<GrpcServiceName, ServiceClient>> = {};
  const clientOf = <K extends GrpcServiceName>(name: K) => clients[name] as ServiceClient<K>;
  let database: ServiceDatabase<DB> | undefined;
  let identity: WorkloadIdentity | undefined;
  let forwarder: AuditForwarder | undefined;
  const release = async () => {
    // The forwarder reads the database and calls the monitor: it stops before either closes.
    await forwarder?.stop();
    for (const client of Object.values(clients)) client?.close();
    identity?.stop();
    vault.close();
    await database?.close();
  };
  try {
    // Its mTLS identity: issued by Vault's PKI engine now, renewed while it runs.
    identity = await WorkloadIdentity.start({
      service,
      logger,
      issue: () => issueServiceCertificate(vault, service),
    });
    const tls = identity;
    database = await openServiceDatabase<DB>(
      service,
      await readDatabaseConfig(vault, service, env.CITADEL_HOME, logger),
      options.migrations,
    );
    logger.info({ event: 'database.ready', kind: database.kind }, `${service} database ready`);
    // DB extends AuditDatabase, which Kysely's invariant generics cannot see on their own.
    const audit = new AuditLog(database.db as unknown as Kysely<AuditDatabase>, service);
    const forwards = service !== 'monitor';
    const callees: GrpcServiceName[] = ['auth', ...(options.calls ?? [])];
    if (forwards) callees.push('monitor');
    for (const callee of new Set(callees)) {
      clients[callee] = new ServiceClient(callee, grpcAddress(env, callee), tls);
    }
    const verifier = verifierFromAuth(service, clientOf('auth'), (error) =>
      logger.warn({ event: 'jwks.refresh-failed', err: String(error) }, 'JWKS refresh failed'),
    );
    const deps: ServiceMainDeps<DB, C> = {
      env,
      logger,
      db: database.db,
      databaseKind: database.kind,
      audit,
      clients: clients as unknown as ServiceClients<C | 'auth'>,
    };
    await options.prepare?.(deps);
    const app = await runGrpcService({
      service,
      module: options.module(deps),
      audit,
      env,
      logger,
      verifier,
      tls,
      port: servicePort(env, service),
      onClose: release,
    });
    if (forwards) {
      forwarder = new AuditForwarder(audit, monitorPort(clientOf('monitor')), logger);
      forwarder.start();
    }
    return app;
  } catch (error) {
    await release().catch(() => undefined);
    throw error;
  }
}

/**
 * The monitor's Deliver and GetHead over a service's mTLS client to it, for its
 * {@link AuditForwarder}. Self calls: no user JWT; the monitor takes the chain from the
 * calling service's certificate.
 */
export function monitorPort(client: Pick<ServiceClient<'monitor'>, 'rpc'>): MonitorPort {
  return {
    getHead: (signal) => client.rpc.getHead({}, { signal }),
    deliver: (delivery, signal) => client.rpc.deliver(delivery, { signal }),
  };
}
