/** The trust domain every Citadel workload identity lives in (SPIFFE, https://spiffe.io). */
export const TRUST_DOMAIN = 'citadel.local';

/** The services that make up Citadel. `gateway` is the only one with an HTTP listener. */
export const SERVICES = ['gateway', 'auth', 'order', 'payment'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The gRPC services, each with its well-known default port. */
export const GRPC_SERVICES = ['auth', 'order', 'payment'] as const;
export type GrpcServiceName = (typeof GRPC_SERVICES)[number];

export const DEFAULT_PORTS = {
  gateway: 8443,
  auth: 50051,
  order: 50052,
  payment: 50053,
} as const satisfies Record<ServiceName, number>;

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
