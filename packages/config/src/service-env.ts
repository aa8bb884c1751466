import { z } from 'zod';
import { DEFAULT_PORTS } from './services.js';
import { loopbackHost, port } from './env.js';
import { citadelHome } from './paths.js';

/** Settings every Citadel process shares: where state lives and where each service listens. */
export const serviceEnvSchema = z.object({
  CITADEL_HOME: z
    .string()
    .optional()
    .transform((value) => citadelHome({ CITADEL_HOME: value })),
  HOST: loopbackHost,
  GATEWAY_PORT: port(DEFAULT_PORTS.gateway),
  AUTH_PORT: port(DEFAULT_PORTS.auth),
  ORDER_PORT: port(DEFAULT_PORTS.order),
  PAYMENT_PORT: port(DEFAULT_PORTS.payment),
  /** A real Vault, or the local development server the launcher runs. */
  VAULT_ADDR: z.string().url().default('http://127.0.0.1:8200'),
  /** PEM file of the CA behind Vault's HTTPS certificate, when it is a private one. */
  VAULT_CACERT: z.string().optional(),
  /** How often a service polls Vault for a new version of a secret it watches. */
  CITADEL_SECRET_WATCH_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ServiceEnv = z.infer<typeof serviceEnvSchema>;

/** `127.0.0.1:50052`: the address of a gRPC service under these settings. */
export function grpcAddress(env: ServiceEnv, service: 'auth' | 'order' | 'payment'): string {
  const ports = { auth: env.AUTH_PORT, order: env.ORDER_PORT, payment: env.PAYMENT_PORT };
  return `${env.HOST}:${ports[service]}`;
}
