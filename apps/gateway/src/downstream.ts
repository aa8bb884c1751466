import type { ContractName } from '@citadel/contracts';
import type { ServiceClient } from '@citadel/transport';

/**
 * Injection tokens for the gateway's long-lived mTLS clients: auth and order serve the
 * shop; the monitor serves only the admins' alerts, and nothing else waits on it.
 */
export const AUTH_CLIENT = Symbol('AUTH_CLIENT');
export const ORDER_CLIENT = Symbol('ORDER_CLIENT');
export const MONITOR_CLIENT = Symbol('MONITOR_CLIENT');
export type { ServiceClient };

/** What the gateway uses of a downstream client: its contract's calls and its health check. */
export type Downstream<S extends ContractName> = Pick<ServiceClient<S>, 'rpc' | 'health'>;
export type AuthClient = Downstream<'auth'>;
export type OrderClient = Downstream<'order'>;
export type MonitorClient = Downstream<'monitor'>;
