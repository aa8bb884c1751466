import type { ServiceClient } from '@citadel/transport';

/** Injection tokens for the long-lived mTLS clients of the gateway's two downstreams. */
export const AUTH_CLIENT = Symbol('AUTH_CLIENT');
export const ORDER_CLIENT = Symbol('ORDER_CLIENT');
export type { ServiceClient };
