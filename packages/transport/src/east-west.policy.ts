import { GRPC_SERVICES } from '@citadel/config';
import { contractOf } from '@citadel/contracts';

/**
 * The east-west policy: which workload may call which method of which service. Every
 * gRPC server enforces it on every call it answers, its health service included, before
 * any handler runs (`east-west.interceptor.ts`; attack point 3 of the README's table), and the
 * Kubernetes NetworkPolicies are rendered from it. It is data: review it like code.
 *
 * callee → caller → the methods the caller may invoke, each fully qualified as the gRPC
 * path names it, without the leading slash (`citadel.payment.v1.PaymentService/Charge`).
 * There is no wildcard: a method added to a contract is callable by nobody until it is
 * listed here. Anything not listed is denied. Callers are services of the registry
 * (packages/config/src/service-registry.ts); a name is granted nothing before a service
 * by that name exists (`policy.spec.ts` holds every grant to that).
 */
export const EAST_WEST_POLICY: EastWestPolicy = {
  auth: {
    gateway: [
      'citadel.auth.v1.AuthService/Login',
      'citadel.auth.v1.AuthService/Logout',
      'citadel.auth.v1.AuthService/ExchangeToken',
      'citadel.auth.v1.AuthService/GetJwks',
      'citadel.auth.v1.AuthService/ListCustomers',
      'citadel.auth.v1.AuthService/DeleteCustomer',
      'citadel.auth.v1.AuthService/CreateApiKey',
      'citadel.auth.v1.AuthService/ListApiKeys',
      'citadel.auth.v1.AuthService/RevokeApiKey',
      'citadel.auth.v1.AuthService/VerifyAudit',
      'citadel.auth.v1.AuthService/ListAudit',
      'citadel.auth.v1.AuthService/RecordEdgeDenial',
      // The gateway's /readyz asks auth and order whether they serve.
      'grpc.health.v1.Health/Check',
    ],
    // Services verify internal JWTs locally; they only ever fetch the public keys.
    order: ['citadel.auth.v1.AuthService/GetJwks'],
    payment: ['citadel.auth.v1.AuthService/GetJwks'],
    monitor: ['citadel.auth.v1.AuthService/GetJwks'],
  },
  order: {
    gateway: [
      'citadel.order.v1.OrderService/ListProducts',
      'citadel.order.v1.OrderService/SetPrice',
      'citadel.order.v1.OrderService/CreateOrder',
      'citadel.order.v1.OrderService/GetOrder',
      'citadel.order.v1.OrderService/ListOrders',
      'citadel.order.v1.OrderService/CancelOrder',
      'citadel.order.v1.OrderService/RefundOrder',
      'citadel.order.v1.OrderService/VerifyAudit',
      'citadel.order.v1.OrderService/ListAudit',
      'grpc.health.v1.Health/Check',
    ],
  },
  payment: {
    // Payment answers order only, for the charges and refunds of its orders.
    order: ['citadel.payment.v1.PaymentService/Charge', 'citadel.payment.v1.PaymentService/Refund'],
  },
  monitor: {
    // Admins read the alerts through the gateway (GET /v1/admin/alerts).
    gateway: ['citadel.monitor.v1.MonitorService/ListAlerts'],
    // Every other service delivers its own audit records, from its outbox, and asks where
    // its delivery resumes; a service added by `npm run new:service` is in this list by
    // being in the registry. The monitor takes the chain from the caller's certificate.
    ...Object.fromEntries(
      GRPC_SERVICES.filter((service) => service !== 'monitor').map((service) => [
        service,
        [
          'citadel.monitor.v1.MonitorService/Deliver',
          'citadel.monitor.v1.MonitorService/GetHead',
        ] satisfies MethodGrant,
      ]),
    ),
  },
};

/**
 * Operator identities: people's one-shot commands (`npm run audit:verify`), not
 * workloads. They hold a certificate from the same CA but run in no pod, so they are not
 * rendered into NetworkPolicies and no service may take their name. identity → methods,
 * on whichever service serves them.
 */
export const OPERATOR_POLICY: OperatorPolicy = {
  // The audit verifier re-computes each service's hash chain and compares its hashes with
  // the copy the monitor holds, and reads nothing else. Its grants follow the contracts:
  // every gRPC service of the registry serves VerifyAudit and ListAuditHashes.
  auditor: [
    ...GRPC_SERVICES.flatMap((service) => [
      fullMethodName(service, 'VerifyAudit'),
      fullMethodName(service, 'ListAuditHashes'),
    ]),
    'citadel.monitor.v1.MonitorService/ListChainHeads',
    'citadel.monitor.v1.MonitorService/ListChainHashes',
  ],
};

/**
 * Methods a service calls for itself, never for a user: a caller holding only these on a
 * callee does not act for users there, so its user JWTs are not addressed to that callee
 * (see {@link delegatesTo} in caller-policy.ts).
 */
export const SELF_CALLS: readonly FullMethodName[] = [
  'citadel.auth.v1.AuthService/GetJwks',
  'citadel.auth.v1.AuthService/RecordEdgeDenial',
  'citadel.monitor.v1.MonitorService/Deliver',
  'citadel.monitor.v1.MonitorService/GetHead',
  'grpc.health.v1.Health/Check',
  'grpc.health.v1.Health/Watch',
];

/** `citadel.payment.v1.PaymentService/Charge`: a gRPC call's path without its leading slash. */
export type FullMethodName = `${string}/${string}`;
export type MethodGrant = readonly FullMethodName[];
/** callee → caller → methods the caller may invoke. */
export type EastWestPolicy = Readonly<Record<string, Readonly<Record<string, MethodGrant>>>>;
/** operator identity → methods it may invoke. */
export type OperatorPolicy = Readonly<Record<string, MethodGrant>>;

/** `('payment', 'Charge')` → `citadel.payment.v1.PaymentService/Charge`, by the contract convention. */
export function fullMethodName(service: string, method: string): FullMethodName {
  const contract = contractOf(service);
  return `${contract.package}.${contract.service}/${method}`;
}
