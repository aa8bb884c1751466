import { SERVICE_REGISTRY } from './service-registry.js';

/** The trust domain every Citadel workload identity lives in (SPIFFE, https://spiffe.io). */
export const TRUST_DOMAIN = 'citadel.local';

type Declared = (typeof SERVICE_REGISTRY)[number];

/** The services that make up Citadel ({@link SERVICE_REGISTRY}). `gateway` is the only HTTP one. */
export type ServiceName = Declared['name'];
export const SERVICES: readonly ServiceName[] = SERVICE_REGISTRY.map((service) => service.name);

/** The gRPC services (mutual TLS only), each with its well-known default port. */
export type GrpcServiceName = Extract<Declared, { kind: 'grpc' }>['name'];
export const GRPC_SERVICES: readonly GrpcServiceName[] = SERVICE_REGISTRY.flatMap((service) =>
  service.kind === 'grpc' ? [service.name] : [],
);

/** The services that own data: one schema and one login role (or embedded database) each. */
export type DataServiceName = Extract<Declared, { database: true }>['name'];
export const DATA_SERVICES: readonly DataServiceName[] = SERVICE_REGISTRY.flatMap((service) =>
  service.database ? [service.name] : [],
);

export const DEFAULT_PORTS = Object.fromEntries(
  SERVICE_REGISTRY.map((service) => [service.name, service.port]),
) as Readonly<Record<ServiceName, number>>;

type Snake<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}_${Snake<Tail>}`
  : S;
/** `ORDER` for `order`, `STOCK_LEVEL` for `stock-level`: the prefix of its variables. */
export type ServiceEnvName<S extends string> = Uppercase<Snake<S>>;

export function serviceEnvName<S extends string>(service: S): ServiceEnvName<S> {
  return service.toUpperCase().replaceAll('-', '_') as ServiceEnvName<S>;
}

/** `spiffe://citadel.local/service/order`: the URI SAN a service certificate carries. */
export function spiffeId(service: string): string {
  return `spiffe://${TRUST_DOMAIN}/service/${service}`;
}

/** Inverse of {@link spiffeId}; `undefined` for anything outside our trust domain. */
export function serviceFromSpiffeId(uri: string): string | undefined {
  const prefix = `spiffe://${TRUST_DOMAIN}/service/`;
  if (!uri.startsWith(prefix)) return undefined;
  const name = uri.slice(prefix.length);
  return /^[a-z][a-z0-9-]{0,62}$/.test(name) ? name : undefined;
}
