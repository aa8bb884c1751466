import { z } from 'zod';
import {
  DEFAULT_PORTS,
  GRPC_SERVICES,
  SERVICES,
  serviceEnvName,
  type GrpcServiceName,
  type ServiceEnvName,
  type ServiceName,
} from './services.js';
import { isLoopback, port } from './env.js';
import { citadelHome } from './paths.js';
import { ConfigError, loadEnv } from './env.js';

/** `<NAME>_PORT` for every service of the registry: where it listens, or where to dial it. */
type PortVariables = {
  [S in ServiceName as `${ServiceEnvName<S>}_PORT`]: ReturnType<typeof port>;
};
/** `<NAME>_HOST` for every gRPC service: where to dial it, when not the default. */
type HostVariables = {
  [S in GrpcServiceName as `${ServiceEnvName<S>}_HOST`]: z.ZodOptional<z.ZodString>;
};
const hostVariable = <S extends GrpcServiceName>(service: S) =>
  `${serviceEnvName(service)}_HOST` as const;
const portVariables = Object.fromEntries(
  SERVICES.map((service) => [`${serviceEnvName(service)}_PORT`, port(DEFAULT_PORTS[service])]),
) as PortVariables;
const hostVariables = Object.fromEntries(
  GRPC_SERVICES.map((service) => [hostVariable(service), z.string().min(1).optional()]),
) as HostVariables;

/** An OTLP URL; empty counts as unset, as the OpenTelemetry environment spec says. */
const otlpUrl = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z.string().url().optional(),
);

/**
 * Settings every Citadel process shares: where state lives and where each service listens.
 *
 * `CITADEL_DEPLOYMENT=local` (the default, `npm start`) binds and dials loopback only.
 * `container` (docker compose, Kubernetes) lets a service bind every interface
 * (`HOST=0.0.0.0`) and reach the others by name (`auth`, `order`, `payment`, or the
 * `*_HOST` overrides); mTLS and the east-west policy hold either way.
 */
export const serviceEnvSchema = z.object({
  CITADEL_DEPLOYMENT: z.enum(['local', 'container']).default('local'),
  CITADEL_HOME: z
    .string()
    .optional()
    .transform((value) => citadelHome({ CITADEL_HOME: value })),
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Where the other services are (`AUTH_HOST`, `ORDER_HOST`, ...; defaults: HOST locally,
   * the service name in containers), and each service's port (`GATEWAY_PORT`, `AUTH_PORT`,
   * ...; defaults from the service registry).
   */
  ...hostVariables,
  ...portVariables,
  /** A real Vault, or the local development server the launcher runs. */
  VAULT_ADDR: z.string().url().default('http://127.0.0.1:8200'),
  /** PEM file of the CA behind Vault's HTTPS certificate, when it is a private one. */
  VAULT_CACERT: z.string().optional(),
  /**
   * How a service logs in to Vault: `approle` (local mode, compose: the role_id/secret_id
   * delivered to `$CITADEL_HOME/vault/<service>/`) or `kubernetes` (its pod's projected
   * service-account token, `VAULT_K8S_TOKEN_FILE`, for the role `VAULT_K8S_ROLE`, default
   * `citadel-<service>`).
   */
  VAULT_AUTH_METHOD: z.enum(['approle', 'kubernetes']).default('approle'),
  VAULT_K8S_ROLE: z.string().min(1).optional(),
  VAULT_K8S_TOKEN_FILE: z.string().min(1).optional(),
  /** How often a service polls Vault for a new version of a secret it watches. */
  CITADEL_SECRET_WATCH_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * OpenTelemetry trace export over OTLP/HTTP, off when neither is set: a collector's base
   * URL (e.g. `http://localhost:4318`; `/v1/traces` is appended) or its full traces URL.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpUrl,
  /**
   * The order service's catalogue: a JSON file `[{sku, name, price_cents, currency}]` that
   * replaces the demo products at start (products not in it are withdrawn from sale).
   */
  ORDER_CATALOGUE_FILE: z.string().min(1).optional(),
});
export type ServiceEnv = z.infer<typeof serviceEnvSchema>;

/**
 * Local mode never listens on, or dials, anything but loopback. Check it on the final
 * settings (after any `.extend()`), which `loadServiceEnv` does.
 */
export function assertDeploymentHosts(env: ServiceEnv): void {
  if (env.CITADEL_DEPLOYMENT !== 'local') return;
  const hosts = ['HOST', ...GRPC_SERVICES.map((service) => hostVariable(service))] as const;
  for (const name of hosts) {
    const value = env[name];
    if (value !== undefined && !isLoopback(value)) {
      throw new ConfigError(
        `Invalid configuration:\n  ${name}: expected a loopback address (127.0.0.1, ::1 or localhost) in local mode; set CITADEL_DEPLOYMENT=container to bind or dial other hosts`,
      );
    }
  }
}

/** Loads a service's settings (the shared schema or an extension of it) and checks its hosts. */
export function loadServiceEnv<S extends z.ZodType<ServiceEnv>>(
  schema: S,
  source: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const env = loadEnv(schema, source);
  assertDeploymentHosts(env);
  return env;
}

/** Every `<NAME>_PORT` setting, as parsed. */
export type ServicePortSettings = z.infer<z.ZodObject<PortVariables>>;

/** The port a service listens on (`<NAME>_PORT`, default from the service registry). */
export function servicePort(env: ServicePortSettings, service: ServiceName): number {
  return env[`${serviceEnvName(service)}_PORT`];
}

/** `127.0.0.1:50052` (or `order:50052` in containers): where a gRPC service is. */
export function grpcAddress(env: ServiceEnv, service: GrpcServiceName): string {
  const fallback =
    env.CITADEL_DEPLOYMENT === 'container'
      ? service
      : env.HOST === '0.0.0.0'
        ? '127.0.0.1'
        : env.HOST;
  const host = env[hostVariable(service)] ?? fallback;
  return `${host.includes(':') ? `[${host}]` : host}:${servicePort(env, service)}`;
}
