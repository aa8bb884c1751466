#!/usr/bin/env node
import path from 'node:path';
import { z } from 'zod';
import {
  citadelHome,
  DEFAULT_PORTS,
  GRPC_SERVICES,
  loadEnv,
  port,
  serviceEnvSchema,
  SERVICES,
  servicePort,
} from '@citadel/config';
import { bootSystem, DEFAULT_VAULT_PORT, type RunningSystem } from './system.js';

const cliEnvSchema = serviceEnvSchema.extend({
  /** Local mode: the port of the Vault development server. */
  VAULT_PORT: port(DEFAULT_VAULT_PORT),
  /** Set both to use a real Vault; VAULT_TOKEN is an admin token for the bootstrap only. */
  VAULT_ADDR: z.string().url().optional(),
  VAULT_TOKEN: z.string().optional(),
  /** A PostgreSQL superuser URL: per-service roles and schemas there instead of embedded databases. */
  CITADEL_DB_ADMIN_URL: z.string().url().optional(),
  /**
   * Gateway processes, on GATEWAY_PORT and the ports after it. More than one needs
   * REDIS_URL (shared rate-limit counters and revocations).
   */
  GATEWAY_REPLICAS: z.coerce.number().int().min(1).max(16).default(1),
});

/**
 * The user's OpenTelemetry settings (`OTEL_EXPORTER_OTLP_ENDPOINT`, its headers, ...),
 * passed on to every service as given: trace export stays off unless they name a collector.
 */
function openTelemetryEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[0].startsWith('OTEL_') && entry[1] !== undefined,
    ),
  );
}

/** The gateway's settings besides `GATEWAY_*` that `npm start` passes on. */
const EDGE_SETTINGS = new Set(['REDIS_URL', 'REDIS_KEY_PREFIX', 'TRUSTED_PROXIES']);

/**
 * The gateway's settings (`GATEWAY_*`: limits, CORS origins, body size; `REDIS_URL` for
 * shared counters and revocations; `TRUSTED_PROXIES`), passed on as given; the gateway
 * validates them.
 */
function edgeEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        (entry[0].startsWith('GATEWAY_') || EDGE_SETTINGS.has(entry[0])) && entry[1] !== undefined,
    ),
  );
}

/** `npm start`: boots the whole system locally and stops all of it on Ctrl-C. */
async function main() {
  const started = Date.now();
  const env = loadEnv(cliEnvSchema);
  if (env.VAULT_ADDR && !env.VAULT_TOKEN)
    throw new Error('VAULT_ADDR is set without VAULT_TOKEN (an admin token for the bootstrap)');
  const vault =
    env.VAULT_ADDR && env.VAULT_TOKEN
      ? { addr: env.VAULT_ADDR, token: env.VAULT_TOKEN }
      : undefined;
  const home = citadelHome();
  process.stdout.write(`Citadel: starting in ${home} ...\n`);
  // Handlers go in before anything starts: a Ctrl-C during boot exits at once, and every
  // service already spawned follows (each one exits when its IPC channel to us closes).
  let shutdown = (): void => {
    process.stdout.write('\nCitadel: stopped during start-up.\n');
    process.exit(130);
  };
  process.on('SIGINT', () => shutdown());
  process.on('SIGTERM', () => shutdown());
  // Filled in once boot completed; a service exiting before that fails the boot itself.
  const booted: { system?: RunningSystem } = {};
  const system = await bootSystem({
    home,
    ports: Object.fromEntries(SERVICES.map((service) => [service, servicePort(env, service)])),
    vaultPort: env.VAULT_PORT,
    ...(env.CITADEL_DB_ADMIN_URL ? { databaseAdminUrl: env.CITADEL_DB_ADMIN_URL } : {}),
    gatewayReplicas: env.GATEWAY_REPLICAS,
    ...(vault ? { vault } : {}),
    env: {
      LOG_LEVEL: env.LOG_LEVEL,
      ...openTelemetryEnv(),
      ...edgeEnv(),
      // Services may run from another directory: the catalogue file goes as an absolute path.
      ...(env.ORDER_CATALOGUE_FILE
        ? { ORDER_CATALOGUE_FILE: path.resolve(env.ORDER_CATALOGUE_FILE) }
        : {}),
    },
    onUnexpectedExit: (service, code) => {
      const running = booted.system;
      if (!running) return;
      process.stderr.write(
        `\n${service} exited unexpectedly (code ${code}); stopping Citadel. See ${running.logFile(service)}\n`,
      );
      void running.stop().then(() => process.exit(1));
    },
  });
  booted.system = system;
  const rel = (file: string) => {
    const relative = path.relative(process.cwd(), file);
    return relative && !relative.startsWith('..') ? relative : file;
  };
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    [
      '',
      `  Citadel is up (${seconds} s): local mode, every hop on TLS 1.3, gRPC on mutual TLS`,
      '',
      `  Gateway      ${system.gatewayUrl}   (API docs: ${system.gatewayUrl}/docs)`,
      ...system.gatewayUrls
        .slice(1)
        .map(
          (url, i) =>
            `  Gateway ${i + 2}    ${url}   (replica: counters and revocations shared through Redis)`,
        ),
      `  Dev CA       ${rel(system.caFile)}   (curl --cacert ${rel(system.caFile)} ...)`,
      `  Demo users   ${rel(system.demoUsersFile)}   (alice, bob: customer; sam: support_agent; ada: admin)`,
      system.vault.local
        ? `  Vault        ${system.vault.addr}   (development stand-in; root token in ${rel(path.join(system.home, 'vault', 'root-token'))})`
        : `  Vault        ${system.vault.addr}`,
      `  Services     ${GRPC_SERVICES.map((service) => `${service} :${system.ports[service]}`).join('  ')}  (mTLS only)`,
      `  Logs         ${rel(path.join(system.home, 'logs'))}/<service>.log`,
      '',
      `  Try:  curl --cacert ${rel(system.caFile)} ${system.gatewayUrl}/v1/products`,
      '',
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  if (env.GATEWAY_PORT !== DEFAULT_PORTS.gateway)
    process.stdout.write(`  (GATEWAY_PORT=${env.GATEWAY_PORT})\n`);
  let stopping = false;
  shutdown = () => {
    if (stopping) return; // a second Ctrl-C while stopping changes nothing
    stopping = true;
    process.stdout.write('\nCitadel: stopping ...\n');
    void system.stop().then(() => {
      process.stdout.write('Citadel: stopped.\n');
      process.exit(0);
    });
  };
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Citadel failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
